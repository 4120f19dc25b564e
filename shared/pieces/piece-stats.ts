import { z } from 'zod';

/** What a receiver reports about the pieces it took in, for the node's report and benchmarks. */
export const pieceStatsSchema = z.object({
  piecesReceived: z.number().int().nonnegative(),
  bytesReceived: z.number().int().nonnegative(),
  /** Pieces that failed verification and were discarded (then fetched again elsewhere). */
  corruptPieces: z.number().int().nonnegative(),
  /** Verified pieces per source (a peer's gRPC address, or the coordinator's). */
  piecesFromSource: z.record(z.string(), z.number().int().nonnegative()),
});
export type PieceStats = z.infer<typeof pieceStatsSchema>;

/** Counts a receiver's pieces as they arrive; snapshot() gives a copy safe to publish. */
export class PieceStatsCounter {
  private piecesReceived = 0;
  private bytesReceived = 0;
  private corruptPieces = 0;
  private readonly fromSource = new Map<string, number>();

  /** A piece of `bytes` from `source` passed verification and was stored. */
  received(source: string, bytes: number): void {
    this.piecesReceived++;
    this.bytesReceived += bytes;
    this.fromSource.set(source, (this.fromSource.get(source) ?? 0) + 1);
  }

  /** A piece failed verification and was discarded. */
  corrupt(): void {
    this.corruptPieces++;
  }

  /** The counters so far. */
  snapshot(): PieceStats {
    return {
      piecesReceived: this.piecesReceived,
      bytesReceived: this.bytesReceived,
      corruptPieces: this.corruptPieces,
      piecesFromSource: Object.fromEntries(this.fromSource),
    };
  }
}
