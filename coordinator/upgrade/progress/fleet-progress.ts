import type { JobEvent, NodePhase } from '../../../shared/control/index.js';

/** A clock in epoch milliseconds; injected so views and their tests agree on time. */
export type Clock = () => number;

/** What the coordinator knows of one node's transfer, from its events. */
export interface NodeProgress {
  readonly node: string;
  phase: NodePhase | 'waiting' | 'verified' | 'FAILED';
  bytesDone: number;
  bytesTotal: number;
  /** Bytes per second over the agent's last interval. */
  rate: number;
  /** When the node's report arrived (epoch ms). */
  finishedAt?: number;
}

/** The whole fleet's transfer at one moment. */
export interface FleetTotals {
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Sum of the rates of the nodes still loading. */
  readonly rate: number;
  /** Milliseconds until every node holds every byte, at the rate so far; undefined when unknown. */
  readonly etaMs: number | undefined;
  readonly elapsedMs: number;
  readonly verified: number;
  readonly failed: number;
  readonly nodes: number;
}

/**
 * Every node's phase and bytes, fed the run's job events; elapsed times and ETAs count from when the
 * distribution started (the jobs go out together), by the injected clock.
 */
export class FleetProgress {
  private readonly byNode = new Map<string, NodeProgress>();
  readonly startedAt: number;

  constructor(
    nodes: readonly string[],
    bytesTotal: number,
    private readonly clock: Clock,
  ) {
    this.startedAt = clock();
    for (const node of nodes)
      this.byNode.set(node, { node, phase: 'waiting', bytesDone: 0, bytesTotal, rate: 0 });
  }

  /** Applies one event; returns the node's progress, or undefined for a node not in the run. */
  apply(event: JobEvent): NodeProgress | undefined {
    const node = this.byNode.get(event.node);
    if (node === undefined) return undefined;
    const body = event.body;
    if (body.type === 'phase') {
      node.phase = body.phase;
      // Past the transfer nothing arrives: the last interval's rate would mislead.
      if (!receiving(node)) node.rate = 0;
    } else if (body.type === 'progress') {
      node.bytesDone = body.bytesDone;
      node.bytesTotal = body.bytesTotal;
      node.rate = body.rate;
    } else {
      node.phase = body.report.ok ? 'verified' : 'FAILED';
      node.finishedAt = this.clock();
      node.rate = 0;
    }
    return node;
  }

  /** One node's progress. */
  node(name: string): NodeProgress | undefined {
    return this.byNode.get(name);
  }

  /** Milliseconds since the distribution started, or until the node finished. */
  elapsedMs(node?: NodeProgress): number {
    return (node?.finishedAt ?? this.clock()) - this.startedAt;
  }

  /** Milliseconds until `node` holds every byte, at its average rate so far; undefined when unknown. */
  etaMs(node: NodeProgress): number | undefined {
    if (node.bytesDone >= node.bytesTotal) return 0;
    return etaFrom(node.bytesDone, node.bytesTotal, this.elapsedMs(node));
  }

  /** The fleet's bytes, rate, ETA and verdicts so far. */
  totals(): FleetTotals {
    let bytesDone = 0;
    let bytesTotal = 0;
    let rate = 0;
    let verified = 0;
    let failed = 0;
    for (const node of this.byNode.values()) {
      bytesDone += node.bytesDone;
      bytesTotal += node.bytesTotal;
      if (receiving(node)) rate += node.rate;
      if (node.phase === 'verified') verified++;
      if (node.phase === 'FAILED') failed++;
    }
    const elapsedMs = this.elapsedMs();
    return {
      bytesDone,
      bytesTotal,
      rate,
      etaMs: bytesDone >= bytesTotal ? 0 : etaFrom(bytesDone, bytesTotal, elapsedMs),
      elapsedMs,
      verified,
      failed,
      nodes: this.byNode.size,
    };
  }
}

/** Bytes may still arrive: the transfer starts with the job, before the load does. */
function receiving(node: NodeProgress): boolean {
  return node.phase === 'waiting' || node.phase === 'accepted' || node.phase === 'loading';
}

/** The time left at the average rate so far: steadier than the last interval's rate. */
function etaFrom(done: number, total: number, elapsedMs: number): number | undefined {
  if (done <= 0 || elapsedMs <= 0) return undefined;
  return Math.round(((total - done) * elapsedMs) / done);
}
