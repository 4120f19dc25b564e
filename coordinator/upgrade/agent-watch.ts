import type { Logger } from 'pino';
import type { Heartbeat } from '../../shared/control/index.js';
import { classifyAgent, type AgentRow, type FleetRegistry } from '../fleet/index.js';
import type { LiveJob } from './job-sender.js';
import type { NodeTracker } from './node-tracker.js';

/** Least time a report may trail the idle heartbeat that follows it before it counts as lost. */
const REPORT_GRACE_MS = 3_000;

/** What the watch needs: the registry, the run's nodes and jobs, and how to re-send one. */
export interface AgentWatchInput {
  readonly fleet: FleetRegistry;
  readonly tracker: NodeTracker;
  readonly live: ReadonlyMap<string, LiveJob>;
  /**
   * Sends the node its job again, as a new attempt: the agent restarted and lost the job, or it ended
   * the job but its report never arrived. `why` says which, for the operator.
   */
  readonly resend: (node: string, attempt: number, why: string) => void;
  /** How often silent agents are judged again (a heartbeat that never comes fires no watch). */
  readonly livenessCheckMs: number;
  /** Re-sends per node before the node counts as failed. */
  readonly maxResends: number;
  readonly logger: Logger;
}

/**
 * Follows the agents of a run through their heartbeats. A node whose agent restarted (a new bootId,
 * idle) lost its job: it gets it again, and continues from the pieces its spool kept. A node whose
 * agent went down fails at once instead of holding the run until --timeout. A node whose agent ran
 * the job and is idle again, but whose report never came, gets the job again too: events are core
 * NATS, and a report published while the agent or this coordinator was cut off from nats-server is
 * gone (the heartbeat is in KV and outlives the outage). The new attempt finds the images verified
 * and skips, so its report comes at once.
 */
export async function watchAgents(input: AgentWatchInput): Promise<{ stop(): void }> {
  const { tracker, live, logger } = input;
  const last = new Map<string, Heartbeat>();
  /** Per node: the agent's own clock (sentAt) on the latest heartbeat that showed the live job running. */
  const sawRunning = new Map<string, { jobId: string; sentAt: number }>();
  /** Per node: when this process first saw the agent idle after running the live job. */
  const idleSince = new Map<string, number>();
  const resendOrFail = (
    node: string,
    job: LiveJob,
    why: string,
    failure: (times: number) => string,
  ): void => {
    idleSince.delete(node);
    if (job.attempt >= input.maxResends) {
      tracker.finish({ node, ok: false, problem: failure(job.attempt + 1) });
      return;
    }
    logger.warn({ node, jobId: job.jobId, attempt: job.attempt + 1 }, `${why}: sending the job again`);
    job.bootId = undefined;
    input.resend(node, job.attempt + 1, why);
  };
  const judge = (row: AgentRow): void => {
    const node = row.node;
    const job = live.get(node);
    if (!tracker.isPending(node) || job === undefined) return;
    if (row.health === 'down') {
      const why =
        row.heartbeat.state === 'stopped'
          ? 'its agent stopped'
          : `its agent went silent ${Math.round(row.ageMs / 1000)} s ago`;
      tracker.finish({ node, ok: false, problem: `${why} during the run` });
      return;
    }
    // Before the ack, bootId is unknown; a busy or draining agent is not done with anything.
    if (job.bootId === undefined || row.heartbeat.state !== 'ready') {
      idleSince.delete(node);
      return;
    }
    // A restarted agent: not the process that accepted the job, and idle.
    if (row.heartbeat.bootId !== job.bootId) {
      resendOrFail(
        node,
        job,
        'agent restarted mid-job',
        (n) => `its agent restarted ${n} times during the run`,
      );
      return;
    }
    // The agent that accepted the job, idle on a heartbeat sent after one that showed it running the
    // job: it ended the job. Its report goes out before that heartbeat, so give it a moment, then take
    // it as lost. (Not judged without such a running heartbeat: an idle heartbeat sent before the job
    // arrived can be read after the ack.)
    const running = sawRunning.get(node);
    if (running?.jobId !== job.jobId || Date.parse(row.heartbeat.sentAt) <= running.sentAt) return;
    const now = Date.now();
    const since = idleSince.get(node) ?? now;
    idleSince.set(node, since);
    if (now - since < Math.max(REPORT_GRACE_MS, 2 * row.heartbeat.intervalMs)) return;
    resendOrFail(
      node,
      job,
      'agent finished the job but its report never arrived',
      (n) => `its agent finished the job ${n} times but no report arrived`,
    );
  };
  const watch = await input.fleet.watch(
    (row) => {
      if (!tracker.isPending(row.node)) return;
      last.set(row.node, row.heartbeat);
      const job = live.get(row.node);
      const shown = row.heartbeat.job;
      if (job !== undefined && shown?.jobId === job.jobId && row.heartbeat.bootId === job.bootId)
        sawRunning.set(row.node, { jobId: job.jobId, sentAt: Date.parse(row.heartbeat.sentAt) });
      judge(row);
    },
    // A finished node's heartbeats are dropped before their signature check: nobody reads them.
    (node) => tracker.isPending(node),
  );
  const timer = setInterval(() => {
    const now = Date.now();
    for (const node of tracker.stillPending()) {
      const heartbeat = last.get(node);
      if (heartbeat !== undefined) judge(classifyAgent(heartbeat, now));
    }
  }, input.livenessCheckMs);
  return {
    stop: () => {
      clearInterval(timer);
      watch.stop();
    },
  };
}
