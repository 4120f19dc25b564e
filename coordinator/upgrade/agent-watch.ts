import type { Logger } from 'pino';
import type { Heartbeat } from '../../shared/control/index.js';
import { classifyAgent, type AgentRow, type FleetRegistry } from '../fleet/index.js';
import type { LiveJob } from './job-sender.js';
import type { NodeTracker } from './node-tracker.js';

/** What the watch needs: the registry, the run's nodes and jobs, and how to re-send one. */
export interface AgentWatchInput {
  readonly fleet: FleetRegistry;
  readonly tracker: NodeTracker;
  readonly live: ReadonlyMap<string, LiveJob>;
  /** Sends the node its job again, as a new attempt (the agent restarted and lost it). */
  readonly resend: (node: string, attempt: number) => void;
  /** How often silent agents are judged again (a heartbeat that never comes fires no watch). */
  readonly livenessCheckMs: number;
  /** Re-sends per node before the node counts as failed. */
  readonly maxResends: number;
  readonly logger: Logger;
}

/**
 * Follows the agents of a run through their heartbeats. A node whose agent restarted (a new bootId,
 * idle) lost its job: it gets it again, and continues from the pieces its spool kept. A node whose
 * agent went down fails at once instead of holding the run until --timeout.
 */
export async function watchAgents(input: AgentWatchInput): Promise<{ stop(): void }> {
  const { tracker, live, logger } = input;
  const last = new Map<string, Heartbeat>();
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
    // A restarted agent: not the process that accepted the job, and idle. (Before the ack, bootId is unknown.)
    if (job.bootId === undefined || row.heartbeat.bootId === job.bootId || row.heartbeat.state !== 'ready')
      return;
    if (job.attempt >= input.maxResends) {
      tracker.finish({
        node,
        ok: false,
        problem: `its agent restarted ${job.attempt + 1} times during the run`,
      });
      return;
    }
    logger.warn(
      { node, jobId: job.jobId, attempt: job.attempt + 1 },
      'agent restarted mid-job: sending the job again',
    );
    job.bootId = undefined;
    input.resend(node, job.attempt + 1);
  };
  const watch = await input.fleet.watch((row) => {
    if (!tracker.isPending(row.node)) return;
    last.set(row.node, row.heartbeat);
    judge(row);
  });
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
