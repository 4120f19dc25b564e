/** Bytes, pieces and corrupt pieces this agent received over its jobs. */
export interface ReceivedTotals {
  readonly bytes: number;
  readonly pieces: number;
  readonly corruptPieces: number;
}

/**
 * What the daemon already tracks, read at probe and scrape time: health checks and metrics never call
 * the runtime or the bus themselves, so a probe stays cheap however often Kubernetes asks.
 */
export interface AgentHealthView {
  readonly state: 'ready' | 'busy' | 'draining' | 'stopped';
  /** Connected to NATS now (false before the first connection and during an outage). */
  readonly busConnected: boolean;
  /** Milliseconds since the last heartbeat was stored in the registry; undefined before the first. */
  readonly heartbeatAgeMs: number | undefined;
  /** The last runtime answer (a probe or a finished job), how old it is and whether it was healthy. */
  readonly runtime: { readonly ageMs: number; readonly ok: boolean } | undefined;
  readonly refusalsTotal: number;
  /** The job in hand, if any; `seconds` since it was accepted (absent: not tracked). */
  readonly job: { readonly phase: string; readonly bytesDone: number; readonly seconds?: number } | undefined;
  /** Counted when a job's transfer ends (a job in flight is in `job.bytesDone`). */
  readonly received: ReceivedTotals;
  /** How the last finished job went. */
  readonly lastJob: { readonly ok: boolean; readonly seconds: number } | undefined;
}

/** What the agent's data-plane server sent to others so far, and the calls it refused. */
export interface ServedTotals {
  readonly bytes: number;
  readonly fetches: number;
  /** Pieces written out to other nodes (absent: 0). */
  readonly pieces?: number;
  /** Data-plane calls refused as unauthenticated or not allowed (absent: 0). */
  readonly refused?: number;
}
