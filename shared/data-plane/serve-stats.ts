/** What one node fetched from this server. */
export interface NodeServeStats {
  /** Bytes handed to HTTP/2 for this node (a cancelled fetch counts what went out before it stopped). */
  bytes: number;
  fetches: number;
  completed: number;
  cancelled: number;
  failed: number;
}

/** A snapshot of the server's counters. */
export interface ArchiveServerStats {
  readonly bytesServed: number;
  /** Pieces handed to the socket, one per frame (a piece of a cancelled fetch counts once it went out). */
  readonly piecesServed: number;
  readonly activeFetches: number;
  /** Keyed by the node name the fetcher sent (`(anonymous)` when it sent none). */
  readonly nodes: Readonly<Record<string, Readonly<NodeServeStats>>>;
  /** Calls refused (PERMISSION_DENIED), by the caller as identified (`agent node-3`, `coordinator`…). */
  readonly refused: Readonly<Record<string, number>>;
}

/** Counters per requesting node, for run reports and benchmarks. */
export class ServeStats {
  private readonly nodes = new Map<string, NodeServeStats>();
  private readonly refusals = new Map<string, number>();
  private bytesServed = 0;
  private piecesServed = 0;
  private active = 0;

  /** A fetch from `node` started streaming. */
  begin(node: string): void {
    this.entry(node).fetches++;
    this.active++;
  }

  /** One piece of `bytes` more went out to `node`. */
  sent(node: string, bytes: number): void {
    this.entry(node).bytes += bytes;
    this.bytesServed += bytes;
    this.piecesServed++;
  }

  /** A fetch that began ended this way. */
  finish(node: string, outcome: 'completed' | 'cancelled' | 'failed'): void {
    this.entry(node)[outcome]++;
    this.active--;
  }

  /** A call from `peer` was refused before it streamed anything. */
  refused(peer: string): void {
    this.refusals.set(peer, (this.refusals.get(peer) ?? 0) + 1);
  }

  snapshot(): ArchiveServerStats {
    const nodes: Record<string, NodeServeStats> = {};
    for (const [node, stats] of this.nodes) nodes[node] = { ...stats };
    return {
      bytesServed: this.bytesServed,
      piecesServed: this.piecesServed,
      activeFetches: this.active,
      nodes,
      refused: Object.fromEntries(this.refusals),
    };
  }

  private entry(node: string): NodeServeStats {
    let stats = this.nodes.get(node);
    if (stats === undefined) {
      stats = { bytes: 0, fetches: 0, completed: 0, cancelled: 0, failed: 0 };
      this.nodes.set(node, stats);
    }
    return stats;
  }
}
