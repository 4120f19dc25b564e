import type { NodeRunState, RunState } from '../../shared/control/index.js';
import type { AgentHealth, AgentRow } from '../fleet/index.js';
import type { FleetModel } from './fleet-model.js';

/** One agent as the dashboard shows it. */
export interface AgentSnapshot {
  readonly node: string;
  readonly health: AgentHealth;
  /** What holds now: a down agent's last heartbeat says nothing of now, so it is `unknown`. */
  readonly state: string;
  /** Milliseconds since its last heartbeat was sent. */
  readonly ageMs: number;
  /** `containerd 1.7.24`, and whether it answered its last probe. */
  readonly runtime: string;
  readonly runtimeOk: boolean;
  readonly version: string;
  readonly refusals: number;
}

/** One node's part of the current run. */
export interface RunNodeSnapshot extends Pick<
  NodeRunState,
  'status' | 'phase' | 'bytesDone' | 'bytesTotal' | 'verified' | 'expected'
> {
  readonly node: string;
  readonly problem?: string;
}

/** The current (latest) run. */
export interface RunSnapshot {
  readonly runId: string;
  readonly release: string;
  readonly namespace: string;
  readonly chartVersion: string;
  readonly phase: RunState['phase'];
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly failure?: { readonly phase: string; readonly message: string };
  readonly nodes: readonly RunNodeSnapshot[];
}

/** Everything the dashboard draws: sent whole at every update (no secrets: names, states, counts). */
export interface DashboardSnapshot {
  readonly at: string;
  /** Connected to NATS with its watches running. */
  readonly live: boolean;
  readonly agents: readonly AgentSnapshot[];
  readonly run: RunSnapshot | undefined;
  /** Node failures seen since `airlift serve` started, by class. */
  readonly failures: Readonly<Record<string, number>>;
}

/** The model as the dashboard shows it at `now`. */
export function dashboardSnapshot(model: FleetModel, live: boolean, now = Date.now()): DashboardSnapshot {
  const run = model.run;
  return {
    at: new Date(now).toISOString(),
    live,
    agents: model.agents(now).map(agentSnapshot),
    run: run === undefined ? undefined : runSnapshot(run),
    failures: Object.fromEntries(model.failureCounts()),
  };
}

function agentSnapshot(row: AgentRow): AgentSnapshot {
  const hb = row.heartbeat;
  return {
    node: row.node,
    health: row.health,
    state: row.health === 'down' ? 'unknown' : hb.state,
    ageMs: row.ageMs,
    runtime: `${hb.runtime.kind} ${hb.runtime.version}`,
    runtimeOk: hb.runtime.ok,
    version: hb.agentVersion,
    refusals: hb.refusals.total,
  };
}

function runSnapshot(run: RunState): RunSnapshot {
  const nodes = Object.entries(run.nodes)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([node, s]) => ({
      node,
      status: s.status,
      phase: s.phase,
      bytesDone: s.bytesDone,
      bytesTotal: s.bytesTotal,
      verified: s.verified,
      expected: s.expected,
      ...(s.problem === undefined ? {} : { problem: s.problem }),
    }));
  return {
    runId: run.runId,
    release: run.release,
    namespace: run.namespace,
    chartVersion: run.chartVersion,
    phase: run.phase,
    startedAt: run.startedAt,
    updatedAt: run.updatedAt,
    ...(run.failure === undefined ? {} : { failure: run.failure }),
    nodes,
  };
}
