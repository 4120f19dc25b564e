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
} from '../errors/index.js';
import { HaveLogAppender, readHaveLog, writeHaveLog, type HaveGeometry } from './have-log.js';
import {
  archiveIdOf,
  parsePieceManifest,
  pieceRange,
  type PieceManifest,
  type PieceRange,
} from './piece-manifest.js';
import { PieceStream } from './piece-stream.js';
import { PieceWaiters } from './piece-waiters.js';

/** Test seams; production code leaves these unset. */
export interface PieceStoreHooks {
  /** Runs after a piece's bytes are fsynced and before it is recorded as present (crash tests). */
  readonly afterDataSync?: (index: number) => Promise<void> | void;
}

/** How to open a store. */
export interface PieceStoreOptions {
  /** Re-hash every piece the have log claims and drop those whose bytes changed (default true). */
  readonly verifyExisting?: boolean;
  readonly hooks?: PieceStoreHooks;
}

/**
 * An agent's on-disk copy of one archive: `<dir>/<archive id>/data`, a sparse file of the full size
 * written piece by piece, and `<dir>/<archive id>/have`, the log of verified pieces. Only verified pieces
 * are written, and a piece is recorded in the log only after its bytes are durable, so what the log
 * claims after a crash is on disk. Serves peers (read, waitFor) and the runtime import (stream).
 */
export class PieceStore {
  readonly archiveId: string;
  readonly pieceCount: number;
  private readonly present: Uint8Array;
  private presentCount = 0;
  private readonly waiters = new PieceWaiters();
  private readonly writing = new Map<number, Promise<void>>();
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
  ) {
    this.archiveId = archiveIdOf(manifest);
    this.pieceCount = manifest.pieces.length;
    this.present = new Uint8Array(this.pieceCount);
    for (const index of present) this.present[index] = 1;
    this.presentCount = present.length;
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
      return new PieceStore(path, checked, data, log, kept, dropped, options.hooks ?? {});
    } catch (err) {
      await log?.close();
      await data.close();
      throw err;
    }
  }

  get size(): number {
    return this.manifest.size;
  }

  /** Pieces verified and on disk. */
  get count(): number {
    return this.presentCount;
  }

  /** True once every piece is present. */
  get complete(): boolean {
    return this.presentCount === this.pieceCount;
  }

  /** True when piece `index` is verified and on disk. */
  has(index: number): boolean {
    return this.present[index] === 1;
  }

  /** Indexes of the pieces still to fetch, ascending. */
  missing(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.pieceCount; i++) if (this.present[i] !== 1) out.push(i);
    return out;
  }

  /** Where piece `index` lies in the archive. */
  range(index: number): PieceRange {
    return pieceRange(this.manifest, index);
  }

  /**
   * Verifies `bytes` against the manifest, then stores them as piece `index`. A mismatch throws
   * PieceCorruptError and leaves the store untouched; a piece already present is a no-op.
   */
  async write(index: number, bytes: Uint8Array): Promise<void> {
    const range = this.range(index);
    this.checkOpen();
    const expected = this.manifest.pieces[index] ?? '';
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== expected || bytes.length !== range.length) {
      const detail =
        bytes.length === range.length ? '' : `${bytes.length} bytes where ${range.length} belong`;
      throw new PieceCorruptError(this.archiveId, index, expected, actual, detail);
    }
    if (this.has(index)) return;
    // Two sources may deliver the same piece at once; the second waits for the first's write.
    const pending = this.writing.get(index);
    if (pending !== undefined) return pending;
    const done = this.track(this.store(index, bytes, range.offset)).finally(() => this.writing.delete(index));
    this.writing.set(index, done);
    return done;
  }

  /** The bytes of piece `index`; PieceMissingError when the store does not hold it. */
  async read(index: number): Promise<Buffer> {
    const range = this.range(index);
    if (!this.has(index)) throw new PieceMissingError(this.archiveId, index);
    return this.readRange(range.offset, range.length);
  }

  /** Resolves when piece `index` is present: at once if it is, else when a write lands it. */
  async waitFor(index: number, signal?: AbortSignal): Promise<void> {
    this.range(index);
    this.checkOpen();
    if (this.has(index)) return;
    await this.waiters.wait(index, signal);
  }

  /**
   * The archive's bytes from piece `fromPiece` on, following the store: each piece is emitted once it
   * and every piece before it are present. Errors with the abort reason, or PieceStoreClosedError.
   */
  stream(fromPiece = 0, signal?: AbortSignal): Readable {
    if (!Number.isInteger(fromPiece) || fromPiece < 0 || fromPiece > this.pieceCount) {
      throw new PieceIndexError(this.archiveId, fromPiece, this.pieceCount);
    }
    this.checkOpen();
    const follow = {
      pieceCount: this.pieceCount,
      range: (index: number) => this.range(index),
      waitFor: (index: number, stop?: AbortSignal) => this.waitFor(index, stop),
      readRange: (offset: number, length: number) => this.readRange(offset, length),
    };
    return new PieceStream(follow, fromPiece, signal);
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

  // Raw bytes of the data file, holes included: only for ranges of pieces already known present.
  private async readRange(offset: number, length: number): Promise<Buffer> {
    this.checkOpen();
    return this.track(readFully(this.data, offset, length));
  }

  private async store(index: number, bytes: Uint8Array, offset: number): Promise<void> {
    await writeFully(this.data, bytes, offset);
    // The bytes must be durable before the log can say so, or a crash could leave a claimed hole.
    await this.data.datasync();
    await this.hooks.afterDataSync?.(index);
    await this.log.append(index);
    this.present[index] = 1;
    this.presentCount++;
    this.waiters.wake(index);
  }

  private async shutDown(): Promise<void> {
    this.waiters.failAll(new PieceStoreClosedError(this.archiveId, this.path));
    // Let reads and writes already under way finish before their descriptors go.
    await Promise.allSettled([...this.inflight]);
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
  if ((await readInto(handle, buffer, offset)) < length) {
    throw new Error(`the data file ends before byte ${offset + length}: something truncated it`);
  }
  return buffer;
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
