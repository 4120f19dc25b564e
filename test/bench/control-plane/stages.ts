import type { CoordinatorTimeline } from './distribute-phase.js';
import type { JobTiming } from './worker-protocol.js';

/** One stage of a job's path, over every node: median, 99th percentile and worst, ms. */
export interface StageSpread {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Where a job's round trip goes, per node, from the coordinator's and the agent's clocks (one machine,
 * so one clock): the request on its way to the agent, the agent's check and ack, the ack on its way back
 * until the coordinator's bus handed it over, and the report from publish until distribute() saw it.
 */
export interface JobStages {
  readonly delivery: StageSpread;
  readonly agentCheck: StageSpread;
  readonly ackReturn: StageSpread;
  readonly reportReturn: StageSpread;
}

/** Pairs the coordinator's timeline with the agents' job timings. */
export function jobStages(timeline: CoordinatorTimeline, jobs: readonly JobTiming[]): JobStages {
  const delivery: number[] = [];
  const agentCheck: number[] = [];
  const ackReturn: number[] = [];
  const reportReturn: number[] = [];
  for (const job of jobs) {
    const coordinator = timeline.perNode.get(job.node);
    if (coordinator === undefined) continue;
    delivery.push(job.receivedAt - coordinator.sentAt);
    agentCheck.push(job.respondedAt - job.receivedAt);
    ackReturn.push(coordinator.answeredAt - job.respondedAt);
    if (coordinator.reportSeenAt !== undefined && job.reportedAt > 0) {
      reportReturn.push(coordinator.reportSeenAt - job.reportedAt);
    }
  }
  return {
    delivery: spread(delivery),
    agentCheck: spread(agentCheck),
    ackReturn: spread(ackReturn),
    reportReturn: spread(reportReturn),
  };
}

function spread(values: number[]): StageSpread {
  const sorted = values.sort((a, b) => a - b);
  const at = (p: number): number =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0);
  return { p50: at(0.5), p99: at(0.99), max: Math.round(sorted[sorted.length - 1] ?? 0) };
}
