import { open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

// The `have` file: a 16-byte header naming the piece geometry, then one 8-byte record per verified
// piece, appended only after that piece's bytes are durable. An append-only log rather than a rewritten
// bitmap: one small write per piece, and a crash can only lose the last record, never corrupt others.
// Each record carries its index twice (the second scrambled), so the zero-filled or torn tail a crash
// can leave is recognised as garbage instead of claiming piece 0.

const MAGIC = 0x56484c41; // 'ALHV' little-endian
const VERSION = 1;
const HEADER_BYTES = 16;
const RECORD_BYTES = 8;
const SCRAMBLE = 0x9e3779b9;

/** What a have log must describe to be trusted: same piece size, same number of pieces. */
export interface HaveGeometry {
  readonly pieceSize: number;
  readonly pieceCount: number;
}

/** What was read back from a have log. */
export interface HaveLogContents {
  /** Pieces recorded as verified, ascending, without duplicates. */
  readonly indexes: number[];
  /** False when the file is missing, for other geometry, or has garbage or duplicates: rewrite it. */
  readonly tidy: boolean;
}

/** Reads the log at `path`; a missing file or one for another geometry holds no pieces. */
export async function readHaveLog(path: string, geometry: HaveGeometry): Promise<HaveLogContents> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { indexes: [], tidy: false };
    throw err;
  }
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, HEADER_BYTES).equals(header(geometry))) {
    return { indexes: [], tidy: false };
  }
  const seen = new Set<number>();
  let tidy = (bytes.length - HEADER_BYTES) % RECORD_BYTES === 0;
  for (let at = HEADER_BYTES; at + RECORD_BYTES <= bytes.length; at += RECORD_BYTES) {
    const index = bytes.readUInt32LE(at);
    const valid = bytes.readUInt32LE(at + 4) === scrambled(index) && index < geometry.pieceCount;
    if (!valid || seen.has(index)) tidy = false;
    if (valid) seen.add(index);
  }
  return { indexes: [...seen].sort((a, b) => a - b), tidy };
}

/** Replaces the log atomically (write a temp file, fsync, rename, fsync the directory). */
export async function writeHaveLog(
  path: string,
  geometry: HaveGeometry,
  indexes: readonly number[],
): Promise<void> {
  const body = Buffer.concat([header(geometry), ...indexes.map(record)]);
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(body);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  await syncDir(dirname(path));
}

/** Appends verified indexes to an existing, tidy log; each append is durable when it resolves. */
export class HaveLogAppender {
  // Appends are chained so records never interleave and each fsync covers the record before it.
  private tail: Promise<void> = Promise.resolve();
  // After a short or failed write the file may end in part of a record; appending more would shift
  // every later record, so the appender refuses until a reopen rewrites the log.
  private broken: Error | undefined;

  private constructor(private readonly handle: FileHandle) {}

  /** Opens `path` (written by writeHaveLog) for appending. */
  static async open(path: string): Promise<HaveLogAppender> {
    return new HaveLogAppender(await open(path, 'a'));
  }

  /** Records pieces as verified and on disk, with one write and one fsync for all of them. */
  append(indexes: readonly number[]): Promise<void> {
    const body = Buffer.concat(indexes.map(record));
    const done = this.tail.then(async () => {
      if (this.broken !== undefined) throw this.broken;
      try {
        const { bytesWritten } = await this.handle.write(body);
        if (bytesWritten !== body.length)
          throw new Error(`short write to the have log (${bytesWritten} of ${body.length} bytes)`);
        await this.handle.datasync();
      } catch (err) {
        this.broken = err instanceof Error ? err : new Error(String(err));
        throw err;
      }
    });
    // A failed append must not poison later ones; the caller sees its own failure through `done`.
    this.tail = done.catch(() => undefined);
    return done;
  }

  /** Waits for pending appends, then closes the file. */
  async close(): Promise<void> {
    await this.tail;
    await this.handle.close().catch(() => undefined);
  }
}

function header(geometry: HaveGeometry): Buffer {
  const out = Buffer.alloc(HEADER_BYTES);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(VERSION, 4);
  out.writeUInt32LE(geometry.pieceSize, 8);
  out.writeUInt32LE(geometry.pieceCount, 12);
  return out;
}

function record(index: number): Buffer {
  const out = Buffer.alloc(RECORD_BYTES);
  out.writeUInt32LE(index, 0);
  out.writeUInt32LE(scrambled(index), 4);
  return out;
}

function scrambled(index: number): number {
  return (index ^ SCRAMBLE) >>> 0;
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
