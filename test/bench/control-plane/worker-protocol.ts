/** Messages between main.ts and an agent worker (node:child_process IPC, JSON). */

/** main → worker: host these agents. */
export interface StartAgents {
  readonly type: 'start';
  /** Identity files (nodes/<node>.json of the generated fleet), one per agent. */
  readonly identityFiles: readonly string[];
  readonly natsUrl: string;
  readonly heartbeatMs: number;
  readonly jobMs: number;
  /** Each agent's spool (its accepted-job record) lives in a subdirectory of this. */
  readonly spoolRoot: string;
  readonly connectConcurrency: number;
}

/** main → worker: stop every agent, report, exit. */
export interface StopAgents {
  readonly type: 'stop';
}

export type ToWorker = StartAgents | StopAgents;

/** What the agents of one worker did, summed. */
export interface AgentCounters {
  heartbeats: number;
  /** Heartbeats whose KV put failed (timeout, permission, …). */
  heartbeatFailures: number;
  jobsAccepted: number;
  jobsRefused: number;
  eventsPublished: number;
  reports: number;
}

/** worker → main: every agent connected, bound the fleet bucket and stored its first heartbeat. */
export interface AgentsReady {
  readonly type: 'ready';
  readonly agents: number;
  /** Wall time from the start message until the last agent's first heartbeat was stored. */
  readonly connectMs: number;
}

/** When one agent got its job, answered it and published its report (epoch ms, sub-ms precision). */
export interface JobTiming {
  readonly node: string;
  readonly receivedAt: number;
  respondedAt: number;
  reportedAt: number;
}

/** The worker's event-loop delay over its life (how late timers and I/O callbacks ran), ms. */
export interface LoopDelay {
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** worker → main: answer to stop. */
export interface AgentsStopped {
  readonly type: 'stopped';
  readonly counters: AgentCounters;
  readonly jobs: readonly JobTiming[];
  readonly loopDelay: LoopDelay;
  /** The worker process's own CPU, user + system, ms. */
  readonly cpuMs: number;
}

/** worker → main: the worker cannot go on. */
export interface WorkerFailed {
  readonly type: 'failed';
  readonly message: string;
}

export type FromWorker = AgentsReady | AgentsStopped | WorkerFailed;

/** A fresh set of counters. */
export function zeroCounters(): AgentCounters {
  return {
    heartbeats: 0,
    heartbeatFailures: 0,
    jobsAccepted: 0,
    jobsRefused: 0,
    eventsPublished: 0,
    reports: 0,
  };
}

/** Wall-clock ms with sub-ms precision, comparable between the bench's processes on one machine. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
