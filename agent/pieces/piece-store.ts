import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  PieceCorruptError,
  PieceIndexError,
  PieceMissingError,
  PieceStoreClosedError,
} from '../../shared/errors/index.js';
import { HaveLogAppender, readHaveLog, writeHaveLog, type HaveGeometry } from './have-log.js';
import {
  archiveIdOf,
  parsePieceManifest,
  pieceRange,
  type PieceManifest,
  type PieceRange,
} from '../../shared/pieces/index.js';
import { HotPieces } from './hot-pieces.js';
import { PieceStream } from './piece-stream.js';
import { PieceWaiters } from './piece-waiters.js';

/** Test seams; production code leaves these unset. */
export interface PieceStoreHooks {
  /** Runs after a piece's bytes are fsynced and before it is recorded as present (crash tests). */
  readonly afterDataSync?: (index: number) => Promise<void> | void;
  /** Runs after a group of pieces is recorded in the have log with one write (group-commit tests). */
  readonly afterCommit?: (indexes: readonly number[]) => void;
}

/** How to open a store. */
export interface PieceStoreOptions {
  /** Re-hash every piece the have log claims and drop those whose bytes changed (default true). */
  readonly verifyExisting?: boolean;
  readonly hooks?: PieceStoreHooks;
  /**
   * Bytes of verified pieces kept in memory, so a peer's request and the runtime import are answered
   * without reading the disk, and forwarding never waits for an fsync. Also the most a write may run
   * ahead of the disk, so the store holds at most about twice this plus a piece. Default 8 MiB; never
   * less than one piece.
   */
  readonly hotBytes?: number;
}

/** Default of PieceStoreOptions.hotBytes. */
export const DEFAULT_HOT_BYTES = 8 * 1024 * 1024;

/**
 * An agent's on-disk copy of one archive: `<dir>/<archive id>/data`, a sparse file of the full size
 * written piece by piece, and `<dir>/<archive id>/have`, the log of verified pieces. Only verified pieces
 * are written, and a piece is recorded in the log only after its bytes are durable, so what the log
 * claims after a crash is on disk. Serves peers (read, waitFor) and the runtime import (stream).
 *
 * A piece is held (has, waitFor, read, stream) as soon as it is verified: the newest pieces stay in
 * memory (`hotBytes`) and are served from there while their bytes go to disk behind them, several
 * pieces per fsync. At each hop of a relay chain this takes the disk off the forwarding path; `flush()`
 * waits for the disk and reports a failed write.
 */
export class PieceStore {
  readonly archiveId: string;
  readonly pieceCount: number;
  /** Verified pieces, in memory or on disk: what the store serves. */
  private readonly held: Uint8Array;
  private heldCount = 0;
  /** Verified pieces whose bytes are durable and recorded in the have log. */
  private readonly durable: Uint8Array;
  private readonly hot: HotPieces;
  private readonly hotLimit: number;
  /** Disk writes not yet durable, oldest first: a write waits here when the disk falls behind. */
  private readonly persisting = new Map<number, { bytes: number; done: Promise<void> }>();
  private persistingBytes = 0;
  private persistFailure: Error | undefined;
  private commitQueue: { index: number; resolve: () => void; reject: (err: Error) => void }[] = [];
  private committing: Promise<void> | undefined;
  private readonly waiters = new PieceWaiters();
  private readonly inflight = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;

  private constructor(
    /** The store's own directory, `<dir>/<archive id>`. */
    readonly path: string,
    readonly manifest: PieceManifest,
    private readonly data: FileHandle,
    private readonly log: HaveLogAppender,
    present: readonly number[],
    /** Pieces the have log claimed whose bytes were missing or damaged on open; now missing again. */
    readonly droppedOnOpen: number,
    private readonly hooks: PieceStoreHooks,
    hotBytes: number,
  ) {
    this.archiveId = archiveIdOf(manifest);
    this.pieceCount = manifest.pieces.length;
    this.held = new Uint8Array(this.pieceCount);
    this.durable = new Uint8Array(this.pieceCount);
    for (const index of present) {
      this.held[index] = 1;
      this.durable[index] = 1;
    }
    this.heldCount = present.length;
    this.hotLimit = Math.max(hotBytes, manifest.pieceSize);
    this.hot = new HotPieces(manifest.pieceSize, this.hotLimit);
  }

  /** Creates or reopens the store of `manifest`'s archive under `dir`, resuming from its have log. */
  static async open(
    dir: string,
    manifest: PieceManifest,
    options: PieceStoreOptions = {},
  ): Promise<PieceStore> {
    const checked = parsePieceManifest(manifest, 'the piece store');
    const path = join(dir, archiveIdOf(checked));
    await mkdir(path, { recursive: true, mode: 0o700 });
    const geometry: HaveGeometry = { pieceSize: checked.pieceSize, pieceCount: checked.pieces.length };
    // O_RDWR without O_APPEND: pieces land by position, in any order.
    const data = await open(join(path, 'data'), constants.O_RDWR | constants.O_CREAT, 0o600);
    let log: HaveLogAppender | undefined;
    try {
      const sizeBefore = (await data.stat()).size;
      // ftruncate up makes a hole, not zeros on disk: the file costs only the pieces written.
      if (sizeBefore !== checked.size) await data.truncate(checked.size);
      const have = await readHaveLog(join(path, 'have'), geometry);
      // A claimed piece past the file's old end cannot be there, whatever the log says.
      let kept = have.indexes.filter((i) => pieceEnd(checked, i) <= sizeBefore);
      if (options.verifyExisting ?? true) kept = await verifiedPieces(data, checked, kept);
      const dropped = have.indexes.length - kept.length;
      if (!have.tidy || dropped > 0) await writeHaveLog(join(path, 'have'), geometry, kept);
      log = await HaveLogAppender.open(join(path, 'have'));
      return new PieceStore(
        path,
        checked,
        data,
        log,
        kept,
        dropped,
        options.hooks ?? {},
        options.hotBytes ?? DEFAULT_HOT_BYTES,
      );
    } catch (err) {
      await log?.close();
      await data.close();
      throw err;
    }
  }

  get size(): number {
    return this.manifest.size;
  }

  /** Pieces verified (in memory or on disk). */
  get count(): number {
    return this.heldCount;
  }

  /** True once every piece is verified. */
  get complete(): boolean {
    return this.heldCount === this.pieceCount;
  }

  /** True when piece `index` is verified and can be read. */
  has(index: number): boolean {
    return this.held[index] === 1;
  }

  /** Indexes of the pieces still to fetch, ascending. */
  missing(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.pieceCount; i++) if (this.held[i] !== 1) out.push(i);
    return out;
  }

  /** Where piece `index` lies in the archive. */
  range(index: number): PieceRange {
    return pieceRange(this.manifest, index);
  }

  /**
   * Verifies `bytes` against the manifest and holds them as piece `index`: readers waiting for it are
   * woken at once and the bytes go to disk behind. Resolves once the piece is held and the disk is no
   * more than `hotBytes` behind; flush() waits for the disk itself. A mismatch throws PieceCorruptError
   * and leaves the store untouched; a piece already held is a no-op. The store keeps a copy, so the
   * caller may reuse `bytes` at once, unless `handOver` says the caller never touches them again (a
   * piece fresh off the network, best in a buffer from allocate()): then the store keeps `bytes`
   * themselves, saving a copy, and reuses the buffer once the piece has left memory.
   */
  async write(index: number, bytes: Buffer, handOver = false): Promise<void> {
    let range: PieceRange;
    try {
      range = this.range(index);
      this.checkOpen();
      if (this.persistFailure !== undefined) throw this.persistFailure;
      this.verify(index, bytes, range);
    } catch (err) {
      if (handOver) this.hot.discard(bytes);
      throw err;
    }
    if (this.has(index)) {
      if (handOver) this.hot.discard(bytes);
      return;
    }
    // A copy unless handed over: the disk write happens later, and callers (tests, readers of files)
    // reuse their buffers.
    const buffer = handOver ? bytes : copyOf(bytes);
    this.held[index] = 1;
    this.heldCount++;
    this.hot.keep(index, buffer);
    this.waiters.wake(index);
    const done = this.track(this.persist(index, buffer, range.offset));
    this.persisting.set(index, { bytes: buffer.length, done });
    this.persistingBytes += buffer.length;
    void done.then(
      () => {
        this.persisted(index, buffer.length);
      },
      (err: unknown) => {
        this.persistFailure ??= err instanceof Error ? err : new Error(String(err));
        this.persisted(index, buffer.length);
      },
    );
    await this.room();
  }

  /** A buffer for a piece of `length` bytes to be received into and then handed over to write(). */
  allocate(length: number): Buffer {
    return this.hot.allocate(length);
  }

  /** Bytes from read() that the caller is done with: their buffer may carry another piece. */
  release(bytes: Buffer): void {
    this.hot.release(bytes);
  }

  /** Waits until every held piece is on disk and in the have log; throws the first disk failure. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.persisting.values()].map((p) => p.done));
    if (this.persistFailure !== undefined) throw this.persistFailure;
  }

  /**
   * The bytes of piece `index`; PieceMissingError when the store does not hold it. Give them back with
   * release() once done (a peer stream does, when the socket has sent them): until then their buffer
   * is not reused; bytes never released are only left to the garbage collector.
   */
  async read(index: number): Promise<Buffer> {
    const range = this.range(index);
    if (!this.has(index)) throw new PieceMissingError(this.archiveId, index);
    this.checkOpen();
    const hot = this.hot.lend(index);
    if (hot !== undefined) return hot;
    const target = this.hot.borrow(range.length);
    try {
      await this.track(readExactly(this.data, target, range.offset));
    } catch (err) {
      this.hot.release(target);
      throw err;
    }
    return target;
  }

  /** Resolves when piece `index` is held: at once if it is, else when a write lands it. */
  async waitFor(index: number, signal?: AbortSignal): Promise<void> {
    this.range(index);
    this.checkOpen();
    if (this.has(index)) return;
    await this.waiters.wait(index, signal);
  }

  /** Resolves when every piece holding bytes [offset, offset + length) is held. */
  async waitForRange(offset: number, length: number, signal?: AbortSignal): Promise<void> {
    const { pieceSize } = this.manifest;
    const last = Math.ceil((offset + length) / pieceSize);
    for (let index = Math.floor(offset / pieceSize); index < last; index++) await this.waitFor(index, signal);
  }

  /**
   * The archive's bytes from piece `fromPiece` on, following the store: each piece is emitted once it
   * and every piece before it are held. Errors with the abort reason, or PieceStoreClosedError.
   */
  stream(fromPiece = 0, signal?: AbortSignal): Readable {
    if (!Number.isInteger(fromPiece) || fromPiece < 0 || fromPiece > this.pieceCount) {
      throw new PieceIndexError(this.archiveId, fromPiece, this.pieceCount);
    }
    return this.streamBytes(Math.min(this.size, fromPiece * this.manifest.pieceSize), this.size, signal);
  }

  /** Bytes [offset, offset + length) of the archive, following the store as stream() does. */
  streamRange(offset: number, length: number, signal?: AbortSignal): Readable {
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > this.size
    ) {
      throw new RangeError(
        `bytes ${offset}+${length} are outside archive ${this.archiveId} (${this.size} bytes)`,
      );
    }
    return this.streamBytes(offset, offset + length, signal);
  }

  private streamBytes(start: number, end: number, signal?: AbortSignal): Readable {
    this.checkOpen();
    const follow = {
      pieceCount: this.pieceCount,
      pieceSize: this.manifest.pieceSize,
      range: (index: number) => this.range(index),
      waitFor: (index: number, stop?: AbortSignal) => this.waitFor(index, stop),
      readRange: (offset: number, length: number) => this.readRange(offset, length),
    };
    return new PieceStream(follow, start, end, signal);
  }

  /** Stops the store: pending waits and streams fail with PieceStoreClosedError; writes in progress finish. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  /** Closes the store and deletes its directory (data and have log). */
  async remove(): Promise<void> {
    await this.close();
    await rm(this.path, { recursive: true, force: true, maxRetries: 3 });
  }

  // Bytes inside one held piece, for the import stream: copied out of memory while the piece is hot
  // (the stream's consumer never says when it is done with them), else read from the data file.
  private async readRange(offset: number, length: number): Promise<Buffer> {
    this.checkOpen();
    const index = Math.floor(offset / this.manifest.pieceSize);
    const hot = this.hot.peek(index);
    if (hot !== undefined) {
      const start = offset - index * this.manifest.pieceSize;
      return Buffer.from(hot.subarray(start, start + length));
    }
    return this.track(readFully(this.data, offset, length));
  }

  /** Throws PieceCorruptError unless `bytes` are piece `index` (at `range`) as the manifest says. */
  private verify(index: number, bytes: Buffer, range: PieceRange): void {
    const expected = this.manifest.pieces[index] ?? '';
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== expected || bytes.length !== range.length) {
      const detail =
        bytes.length === range.length ? '' : `${bytes.length} bytes where ${range.length} belong`;
      throw new PieceCorruptError(this.archiveId, index, expected, actual, detail);
    }
  }

  // Waits while more than hotLimit bytes are not yet durable: memory stays bounded on a slow disk.
  private async room(): Promise<void> {
    while (this.persistingBytes > this.hotLimit) {
      const oldest = this.persisting.values().next().value;
      if (oldest === undefined) return;
      await oldest.done.catch(() => undefined);
    }
    if (this.persistFailure !== undefined) throw this.persistFailure;
  }

  private async persist(index: number, bytes: Buffer, offset: number): Promise<void> {
    await writeFully(this.data, bytes, offset);
    await this.commit(index);
    this.durable[index] = 1;
  }

  private persisted(index: number, bytes: number): void {
    this.persisting.delete(index);
    this.persistingBytes -= bytes;
    this.evictHot();
  }

  // Oldest first, and only pieces already durable: a hot piece not yet on disk is the only copy.
  private evictHot(): void {
    this.hot.evict((index) => this.durable[index] === 1);
  }

  // Group commit: one fsync of the data file covers every piece written before it, then their records
  // go to the have log in one write and one fsync. The bytes must be durable before the log says so.
  private commit(index: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.commitQueue.push({ index, resolve, reject });
      this.committing ??= this.runCommits();
    });
  }

  private async runCommits(): Promise<void> {
    while (this.commitQueue.length > 0) {
      const batch = this.commitQueue;
      this.commitQueue = [];
      try {
        await this.data.datasync();
        for (const entry of batch) await this.hooks.afterDataSync?.(entry.index);
        const indexes = batch.map((entry) => entry.index);
        await this.log.append(indexes);
        this.hooks.afterCommit?.(indexes);
        for (const entry of batch) entry.resolve();
      } catch (err) {
        for (const entry of batch) entry.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
    this.committing = undefined;
  }

  private async shutDown(): Promise<void> {
    this.waiters.failAll(new PieceStoreClosedError(this.archiveId, this.path));
    // Let reads and writes already under way finish before their descriptors go.
    await Promise.allSettled([...this.inflight]);
    this.hot.clear();
    await this.log.close();
    await this.data.close().catch(() => undefined);
  }

  private checkOpen(): void {
    if (this.closing !== undefined) throw new PieceStoreClosedError(this.archiveId, this.path);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inflight.add(work);
    void work.finally(() => this.inflight.delete(work)).catch(() => undefined);
    return work;
  }
}

// One reusable buffer for the whole pass: verifying a multi-GB store must not allocate per piece.
async function verifiedPieces(
  data: FileHandle,
  manifest: PieceManifest,
  claimed: number[],
): Promise<number[]> {
  const kept: number[] = [];
  const buffer = Buffer.allocUnsafe(manifest.pieceSize);
  for (const index of claimed) {
    const range = pieceRange(manifest, index);
    const view = buffer.subarray(0, range.length);
    const bytesRead = await readInto(data, view, range.offset);
    const digest = createHash('sha256').update(view.subarray(0, bytesRead)).digest('hex');
    if (bytesRead === range.length && digest === manifest.pieces[index]) kept.push(index);
  }
  return kept;
}

async function writeFully(handle: FileHandle, bytes: Uint8Array, offset: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, offset + done);
    done += bytesWritten;
  }
}

async function readFully(handle: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  await readExactly(handle, buffer, offset);
  return buffer;
}

// Fills all of `buffer` from `offset`; a data file too short for it was truncated behind our back.
async function readExactly(handle: FileHandle, buffer: Buffer, offset: number): Promise<void> {
  if ((await readInto(handle, buffer, offset)) < buffer.length) {
    throw new Error(`the data file ends before byte ${offset + buffer.length}: something truncated it`);
  }
}

// Fills `buffer` from `offset`, stopping early only at the end of the file; returns the bytes read.
async function readInto(handle: FileHandle, buffer: Buffer, offset: number): Promise<number> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

function pieceEnd(manifest: PieceManifest, index: number): number {
  const range = pieceRange(manifest, index);
  return range.offset + range.length;
}

/** `bytes` in a buffer of their own. */
function copyOf(bytes: Buffer): Buffer {
  const buffer = Buffer.allocUnsafe(bytes.length);
  buffer.set(bytes);
  return buffer;
}
