import { COORDINATOR_NAME, MAX_STRIPES, type PieceSourceRef } from '../../shared/control/index.js';

/**
 * How pieces flow. `tree` splits the pieces into stripes, each relayed down a tree of its own in which
 * every node but a few is a leaf; `chain` relays every piece node to node; `star` has every node fetch
 * from the coordinator. Tree and chain upload the archive about once from the coordinator.
 */
export type DistributionMode = 'tree' | 'chain' | 'star';

/** The modes, for the CLI's choices. */
export const DISTRIBUTION_MODES: readonly DistributionMode[] = ['tree', 'chain', 'star'];

/** What `--distribution` defaults to: chosen by measurement, see docs/architecture.md. */
export const DEFAULT_DISTRIBUTION: DistributionMode = 'chain';

/** A target node and where it serves pieces to its peers. */
export interface PlannedNode {
  readonly node: string;
  readonly grpcAddress: string;
}

/** Shape of a plan beyond its mode. */
export interface PlanOptions {
  /** Tree mode: stripes, and children per node in each stripe's tree (default 2). */
  readonly stripes?: number;
  /** Peers tried after the planned one (its predecessors or ancestors) before the coordinator. */
  readonly fallbackPeers?: number;
}

/** Documented defaults of PlanOptions. */
export const PLAN_DEFAULTS = { stripes: 2, fallbackPeers: 2 } as const;

/** Each node's sources, per stripe, in order of preference: what its job carries as `stripes`. */
export type SourcePlan = Map<string, PieceSourceRef[][]>;

/**
 * Plans where each node fetches from. The coordinator is every node's last resort, so a node whose
 * planned peers all die still finishes (the coordinator then uploads more than once).
 */
export function planSources(
  nodes: readonly PlannedNode[],
  coordinatorAddress: string,
  mode: DistributionMode,
  options: PlanOptions = {},
): SourcePlan {
  const coordinator: PieceSourceRef = { address: coordinatorAddress, name: COORDINATOR_NAME };
  const fallbackPeers = options.fallbackPeers ?? PLAN_DEFAULTS.fallbackPeers;
  switch (mode) {
    case 'star':
      return new Map(nodes.map((n) => [n.node, [[coordinator]]]));
    case 'chain':
      return new Map(
        nodes.map((n, i) => [n.node, [[...upstreamOf(nodes, i, (p) => p - 1, fallbackPeers), coordinator]]]),
      );
    case 'tree':
      return planTree(nodes, coordinator, options.stripes ?? PLAN_DEFAULTS.stripes, fallbackPeers);
  }
}

/**
 * Striped trees (as SplitStream does): stripe s carries the pieces whose index % k is s at 1/k of the
 * link rate, down a k-ary tree over the nodes rotated so a different k-th of them is interior in each
 * stripe. Every node receives k stripes (its whole link) and forwards one stripe to k children (its
 * whole uplink, once), and a piece crosses about log_k(N) hops instead of N: a relay that loses the CPU
 * or its link for a moment delays only its own subtree, and only in one stripe.
 */
function planTree(
  nodes: readonly PlannedNode[],
  coordinator: PieceSourceRef,
  stripes: number,
  fallbackPeers: number,
): SourcePlan {
  if (!Number.isInteger(stripes) || stripes < 1 || stripes > MAX_STRIPES) {
    throw new RangeError(`stripes must be an integer from 1 to ${MAX_STRIPES}, got ${stripes}`);
  }
  const plan: SourcePlan = new Map(nodes.map((n) => [n.node, []]));
  const n = nodes.length;
  // Interior nodes of a heap-shaped k-ary tree are its first ceil((n-1)/k) positions; rotating each
  // stripe's order by that many keeps the stripes' interiors apart (for k = 2 always, and whenever
  // k · ceil((n-1)/k) <= n).
  const interior = Math.ceil((n - 1) / stripes);
  for (let s = 0; s < stripes; s++) {
    const order = nodes.map((_, p) => nodes[(p + s * interior) % n]);
    order.forEach((target, p) => {
      if (target === undefined) return;
      const sources = [
        ...upstreamOf(order, p, (q) => (q === 0 ? -1 : Math.floor((q - 1) / stripes)), fallbackPeers),
        coordinator,
      ];
      plan.get(target.node)?.push(sources);
    });
  }
  return plan;
}

/** The planned source of position `at` and up to `fallbackPeers` more, following `parent` up. */
function upstreamOf(
  order: readonly (PlannedNode | undefined)[],
  at: number,
  parent: (position: number) => number,
  fallbackPeers: number,
): PieceSourceRef[] {
  const upstream: PieceSourceRef[] = [];
  for (let p = parent(at); p >= 0 && upstream.length <= fallbackPeers; p = parent(p)) {
    const peer = order[p];
    if (peer !== undefined) upstream.push({ address: peer.grpcAddress, name: peer.node });
  }
  return upstream;
}

/**
 * Whom each planned node serves: the nodes whose sources (planned peer or fallback, in any stripe)
 * list it, in plan order. Every node of the plan has an entry; an agent serves no one else.
 */
export function servesTo(plan: SourcePlan): Map<string, string[]> {
  const served = new Map<string, Set<string>>([...plan.keys()].map((node) => [node, new Set<string>()]));
  for (const [target, stripes] of plan) {
    for (const source of stripes.flat()) {
      if (source.name !== COORDINATOR_NAME) served.get(source.name)?.add(target);
    }
  }
  return new Map([...served].map(([node, targets]) => [node, [...targets]]));
}
