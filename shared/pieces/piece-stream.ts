import { Readable } from 'node:stream';
import type { PieceRange } from './piece-manifest.js';

/** What a following stream needs from a store. */
export interface PieceFollowable {
  readonly pieceCount: number;
  range(index: number): PieceRange;
  /** Resolves once piece `index` is verified and held (in memory or on disk). */
  waitFor(index: number, signal?: AbortSignal): Promise<void>;
  /** Bytes of a range inside pieces the store holds. */
  readRange(offset: number, length: number): Promise<Buffer>;
}

/** Bytes handed downstream per read: small enough that a 64 MiB piece never sits in memory whole. */
export const STREAM_CHUNK_BYTES = 1024 * 1024;

/**
 * The archive's bytes from piece `fromPiece` on, in order, emitting each piece only once it is verified
 * and waiting for pieces still in transit. One chunk is read per _read() call, so a slow consumer (the
 * runtime import) stops the reading and at most a chunk or two sit in memory.
 */
export class PieceStream extends Readable {
  private index: number;
  private within = 0;
  private readonly stop = new AbortController();
  private readonly onAbort = (): void => {
    this.destroy(this.signal?.reason as Error);
  };

  constructor(
    private readonly store: PieceFollowable,
    fromPiece: number,
    private readonly signal?: AbortSignal,
  ) {
    super({ highWaterMark: STREAM_CHUNK_BYTES });
    this.index = fromPiece;
    if (signal?.aborted === true) {
      process.nextTick(this.onAbort);
    } else {
      signal?.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  override _read(): void {
    this.nextChunk().then(
      (chunk) => {
        if (!this.destroyed) this.push(chunk);
      },
      (err: unknown) => {
        this.destroy(err as Error);
      },
    );
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.stop.abort();
    callback(err);
  }

  private async nextChunk(): Promise<Buffer | null> {
    if (this.index >= this.store.pieceCount) return null;
    const range = this.store.range(this.index);
    if (this.within === 0) await this.store.waitFor(this.index, this.stop.signal);
    const length = Math.min(STREAM_CHUNK_BYTES, range.length - this.within);
    const chunk = await this.store.readRange(range.offset + this.within, length);
    this.within += length;
    if (this.within === range.length) {
      this.index++;
      this.within = 0;
    }
    return chunk;
  }
}
