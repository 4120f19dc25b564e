/** How pieces flow: `chain` relays node to node (the coordinator uploads about once); `star` has every node fetch from the coordinator. */
export type DistributionMode = 'chain' | 'star';

/** A target node and where it serves pieces to its peers. */
export interface PlannedNode {
  readonly node: string;
  readonly grpcAddress: string;
}

/**
 * Each node's sources in order of preference. In a chain, node i fetches from node i-1 while i-1 is
 * still receiving (pieces are forwarded as they arrive), so every link carries the archive once and the
 * coordinator uploads it once; if a predecessor dies or stalls, the receiver falls back to the one
 * before it and finally to the coordinator, continuing from its first missing piece.
 */
export function planSources(
  nodes: readonly PlannedNode[],
  coordinator: string,
  mode: DistributionMode,
  fallbackPeers = 2,
): Map<string, string[]> {
  const plan = new Map<string, string[]>();
  nodes.forEach((target, i) => {
    if (mode === 'star') {
      plan.set(target.node, [coordinator]);
      return;
    }
    const upstream: string[] = [];
    for (let k = i - 1; k >= 0 && upstream.length <= fallbackPeers; k--) {
      const peer = nodes[k];
      if (peer !== undefined) upstream.push(peer.grpcAddress);
    }
    plan.set(target.node, [...upstream, coordinator]);
  });
  return plan;
}
