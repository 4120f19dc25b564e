import type { NodeLoadReport } from '../../shared/node-job/index.js';
import type { RunStore } from './run-store.js';

/** How one node ended its part of the run. */
export interface NodeOutcome {
  readonly node: string;
  readonly ok: boolean;
  readonly report?: NodeLoadReport;
  /** Why the node failed, in one line an operator can act on. */
  readonly problem?: string;
  /** When the coordinator learned the outcome (ISO time): the node's finish line, for timings. */
  readonly settledAt?: string;
}

/** Which nodes of a run are still out, and how the others ended; each node settles exactly once. */
export class NodeTracker {
  private readonly pending: Set<string>;
  private readonly outcomes = new Map<string, NodeOutcome>();
  private settle: () => void = () => undefined;
  /** Resolves once every node has an outcome. */
  readonly allDone: Promise<void>;

  constructor(
    private readonly nodes: readonly string[],
    private readonly store: RunStore,
  ) {
    this.pending = new Set(nodes);
    this.allDone = new Promise<void>((resolve) => (this.settle = resolve));
    if (this.pending.size === 0) this.settle();
  }

  /** True while `node` has no outcome yet. */
  isPending(node: string): boolean {
    return this.pending.has(node);
  }

  /** The nodes still out, in a copy safe to iterate while finishing them. */
  stillPending(): string[] {
    return [...this.pending];
  }

  /** Records how `outcome.node` ended, once; later outcomes for the same node are ignored. */
  finish(outcome: NodeOutcome): void {
    if (!this.pending.delete(outcome.node)) return;
    this.outcomes.set(outcome.node, { ...outcome, settledAt: new Date().toISOString() });
    this.store.node(outcome.node, {
      status: outcome.ok ? 'verified' : 'failed',
      ...(outcome.report === undefined
        ? {}
        : { verified: outcome.report.images.filter((i) => i.verified).length }),
      ...(outcome.problem === undefined ? {} : { problem: outcome.problem }),
    });
    if (this.pending.size === 0) this.settle();
  }

  /** Every node's outcome, in the run's node order. */
  results(): NodeOutcome[] {
    return this.nodes.map((node) => this.outcomes.get(node) ?? { node, ok: false, problem: 'no outcome' });
  }
}
