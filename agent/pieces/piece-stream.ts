import { Readable } from 'node:stream';
import type { PieceRange } from '../../shared/pieces/index.js';

/** What a following stream needs from a store. */
export interface PieceFollowable {
  readonly pieceCount: number;
  readonly pieceSize: number;
  range(index: number): PieceRange;
  /** Resolves once piece `index` is verified and held (in memory or on disk). */
  waitFor(index: number, signal?: AbortSignal): Promise<void>;
  /** Bytes of a range inside pieces the store holds. */
  readRange(offset: number, length: number): Promise<Buffer>;
}

/**
 * Bytes handed downstream per read: small enough that a 64 MiB piece never sits in memory whole, and
 * that the copy each read makes comes from malloc's heap (at 1 MiB it came from mmap, with page faults).
 */
export const STREAM_CHUNK_BYTES = 256 * 1024;

/**
 * The archive's bytes from `start` to `end`, in order, emitting each piece's bytes only once it is
 * verified and waiting for pieces still in transit. One chunk is read per _read() call, so a slow
 * consumer (the runtime import) stops the reading and at most a chunk or two sit in memory.
 */
export class PieceStream extends Readable {
  private position: number;
  private waited = -1;
  private readonly stop = new AbortController();
  private readonly onAbort = (): void => {
    this.destroy(this.signal?.reason as Error);
  };

  constructor(
    private readonly store: PieceFollowable,
    start: number,
    private readonly end: number,
    private readonly signal?: AbortSignal,
  ) {
    super({ highWaterMark: STREAM_CHUNK_BYTES });
    this.position = start;
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
    if (this.position >= this.end) return null;
    const index = Math.floor(this.position / this.store.pieceSize);
    if (index !== this.waited) {
      await this.store.waitFor(index, this.stop.signal);
      this.waited = index;
    }
    const range = this.store.range(index);
    const length = Math.min(
      STREAM_CHUNK_BYTES,
      range.offset + range.length - this.position,
      this.end - this.position,
    );
    const chunk = await this.store.readRange(this.position, length);
    this.position += length;
    return chunk;
  }
}
