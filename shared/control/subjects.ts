/**
 * Every NATS subject and KV bucket airlift uses, in one place. The `v1` token versions the wire
 * format: a new incompatible schema gets new subjects, so mixed-version fleets fail loudly, not oddly.
 */
export const WIRE_VERSION = 1 as const;

const PREFIX = 'airlift.v1';

/** Node names become subject tokens and KV keys: DNS-subdomain characters only (no `*`, `>` or spaces). */
export const NODE_NAME = /^(?!.*\.\.)[a-zA-Z0-9]([a-zA-Z0-9._-]{0,251}[a-zA-Z0-9])?$/;
/** The coordinator's identity name, wherever identities are named (signers, certificates, piece sources); no node may take it. */
export const COORDINATOR_NAME = 'coordinator';

/** Run ids likewise: the coordinator makes them from a timestamp and random suffix. */
export const RUN_ID = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$/;

export const Subjects = {
  /** Request/reply: a typed job for one agent; the reply is a JobAck. */
  job: (node: string): string => `${PREFIX}.job.${node}`,
  /** An agent's progress events and final report for one run. */
  events: (runId: string, node: string): string => `${PREFIX}.events.${runId}.${node}`,
  /** Every event of one run, for the coordinator and watchers. */
  runEvents: (runId: string): string => `${PREFIX}.events.${runId}.>`,
  /** Heartbeats are also published, for live watchers (the KV registry is the record). */
  heartbeat: (node: string): string => `${PREFIX}.heartbeat.${node}`,
} as const;

export const Buckets = {
  /** key = node name, value = the agent's latest Heartbeat. */
  fleet: 'airlift-fleet',
  /** key = run id, value = RunState; kept with history so a run's story can be read back. */
  runs: 'airlift-runs',
} as const;
