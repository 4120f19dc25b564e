import { PieceBufferPool } from '../../shared/pieces/index.js';

/** A hot piece: its bytes, how many lent copies of them are out, and whether it left the hot set. */
interface HotPiece {
  readonly index: number;
  readonly bytes: Buffer;
  lent: number;
  evicted: boolean;
}

/**
 * The newest verified pieces, held in memory while their bytes go to disk, and the buffers they live
 * in. A piece's buffer comes from a small pool (`allocate`), is kept while the piece is hot, lent to
 * peer streams (`lend`, `release`), and goes back to the pool once the piece has left the hot set and
 * every loan came back.
 */
export class HotPieces {
  private readonly pieces = new Map<number, HotPiece>();
  private readonly byBuffer = new WeakMap<ArrayBufferLike, HotPiece>();
  private readonly pool: PieceBufferPool;
  private bytes = 0;

  constructor(
    private readonly pieceSize: number,
    private readonly limit: number,
  ) {
    // The hot set, a piece in assembly per source stripe, and a few on loan to slow peers.
    this.pool = new PieceBufferPool(pieceSize, Math.ceil(limit / pieceSize) + 4);
  }

  /** Bytes of the pieces held. */
  get total(): number {
    return this.bytes;
  }

  /** A buffer of `length` bytes (at most a piece) for a piece to be received into. */
  allocate(length: number): Buffer {
    return length > this.pieceSize ? Buffer.allocUnsafe(length) : this.pool.take(length);
  }

  /** Holds `bytes` as piece `index`. */
  keep(index: number, bytes: Buffer): void {
    const piece: HotPiece = { index, bytes, lent: 0, evicted: false };
    this.pieces.set(index, piece);
    this.byBuffer.set(bytes.buffer, piece);
    this.bytes += bytes.length;
  }

  /** Piece `index`'s bytes while it is hot, for a reader that copies what it needs at once. */
  peek(index: number): Buffer | undefined {
    return this.pieces.get(index)?.bytes;
  }

  /** Piece `index`'s bytes while it is hot, lent: the borrower calls release() when done with them. */
  lend(index: number): Buffer | undefined {
    const piece = this.pieces.get(index);
    if (piece === undefined) return undefined;
    piece.lent++;
    return piece.bytes;
  }

  /**
   * A pool buffer of `length` bytes for a piece read back from disk, lent out at once: release() returns
   * it. A peer that lags behind the hot set reads every piece this way.
   */
  borrow(length: number): Buffer {
    const bytes = this.allocate(length);
    this.byBuffer.set(bytes.buffer, { index: -1, bytes, lent: 1, evicted: true });
    return bytes;
  }

  /** A loan came back; the last loan of an evicted piece returns its buffer to the pool. */
  release(bytes: Buffer): void {
    const piece = this.byBuffer.get(bytes.buffer);
    if (piece === undefined || piece.lent === 0) return;
    piece.lent--;
    if (piece.evicted && piece.lent === 0) this.recycle(piece.bytes);
  }

  /** A buffer from allocate() that was never kept (a corrupt or duplicate piece): back to the pool. */
  discard(bytes: Buffer): void {
    if (!this.byBuffer.has(bytes.buffer)) this.recycle(bytes);
  }

  /** Drops the oldest pieces `canDrop` allows until the set is within its limit. */
  evict(canDrop: (index: number) => boolean): void {
    for (const piece of this.pieces.values()) {
      if (this.bytes <= this.limit) return;
      if (!canDrop(piece.index)) continue;
      this.pieces.delete(piece.index);
      this.bytes -= piece.bytes.length;
      piece.evicted = true;
      if (piece.lent === 0) this.recycle(piece.bytes);
    }
  }

  /** Forgets every piece (the store closed); loans still out keep their bytes. */
  clear(): void {
    for (const piece of this.pieces.values()) piece.evicted = true;
    this.pieces.clear();
    this.bytes = 0;
    this.pool.clear();
  }

  private recycle(bytes: Buffer): void {
    this.byBuffer.delete(bytes.buffer);
    this.pool.give(bytes);
  }
}
