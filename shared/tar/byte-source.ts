import { open, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

/** Random access to a run of bytes: a file, or a byte range inside one. */
export interface ByteSource {
  /** Name used in error messages, e.g. `kairship_0.21.0.bundle.tar` or `….bundle.tar!images.tar`. */
  readonly label: string;
  readonly size: number;
  /** Reads up to `length` bytes at `offset`; fewer only at the end of the source. */
  read(offset: number, length: number): Promise<Buffer>;
  /**
   * Reads like read(), into `target` (from its start) when the bytes must be copied anyway, so a caller
   * can reuse its buffers: a fresh multi-MiB buffer per read costs more in page faults than the read.
   * Resolves to the bytes read, which need not lie in `target` (a source in memory returns a view).
   */
  readInto?(target: Buffer, offset: number, length: number): Promise<Buffer>;
  /** Where the bytes lie when they are a file's byte range: another reader (a worker) may read them too. */
  readonly file?: FileRange | undefined;
  /** A sequential stream of `[offset, offset+length)`, never buffering the whole range. */
  stream(offset?: number, length?: number): Readable;
  /** A view of `[offset, offset+length)` of this source. */
  slice(offset: number, length: number, label: string): ByteSource;
}

/** A byte range of a file on disk. */
export interface FileRange {
  readonly path: string;
  readonly offset: number;
  readonly length: number;
}

/** A file opened for positional reads; close() releases the descriptor. */
export class FileByteSource implements ByteSource {
  private constructor(
    readonly path: string,
    readonly label: string,
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  get file(): FileRange {
    return { path: this.path, offset: 0, length: this.size };
  }

  /** Opens `path`; throws the fs error (ENOENT, EACCES…) for the caller to wrap. */
  static async open(path: string, label = path): Promise<FileByteSource> {
    const handle = await open(path, 'r');
    try {
      const stat = await handle.stat();
      return new FileByteSource(path, label, handle, stat.size);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const wanted = Math.max(0, Math.min(length, this.size - offset));
    return readAt(this.handle, Buffer.alloc(wanted), offset);
  }

  async readInto(target: Buffer, offset: number, length: number): Promise<Buffer> {
    const wanted = Math.max(0, Math.min(length, this.size - offset, target.length));
    return readAt(this.handle, target.subarray(0, wanted), offset);
  }

  stream(offset = 0, length = this.size - offset): Readable {
    // A fresh descriptor per stream, so concurrent streams and positional reads never share a file position.
    if (length <= 0) return Readable.from([], { objectMode: false });
    return createReadStream(this.path, { start: offset, end: offset + length - 1, highWaterMark: 1 << 20 });
  }

  slice(offset: number, length: number, label: string): ByteSource {
    return new SliceByteSource(this, offset, length, label);
  }

  /** False for directories, devices and the like, which must not be read as archives. */
  async isRegularFile(): Promise<boolean> {
    return (await this.handle.stat()).isFile();
  }

  /** Closes the descriptor; safe to call twice. */
  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

class SliceByteSource implements ByteSource {
  constructor(
    private readonly parent: ByteSource,
    private readonly base: number,
    readonly size: number,
    readonly label: string,
  ) {}

  get file(): FileRange | undefined {
    const outer = this.parent.file;
    return outer === undefined
      ? undefined
      : { ...outer, offset: outer.offset + this.base, length: this.size };
  }

  read(offset: number, length: number): Promise<Buffer> {
    return this.parent.read(this.base + offset, Math.max(0, Math.min(length, this.size - offset)));
  }

  readInto(target: Buffer, offset: number, length: number): Promise<Buffer> {
    const wanted = Math.max(0, Math.min(length, this.size - offset));
    return this.parent.readInto === undefined
      ? this.parent.read(this.base + offset, wanted)
      : this.parent.readInto(target, this.base + offset, wanted);
  }

  stream(offset = 0, length = this.size - offset): Readable {
    return this.parent.stream(this.base + offset, Math.min(length, this.size - offset));
  }

  slice(offset: number, length: number, label: string): ByteSource {
    return new SliceByteSource(this.parent, this.base + offset, length, label);
  }
}

/** A source over bytes already in memory (small archives, tests). */
export class BufferByteSource implements ByteSource {
  constructor(
    private readonly buffer: Buffer,
    readonly label: string,
  ) {}

  get size(): number {
    return this.buffer.length;
  }

  read(offset: number, length: number): Promise<Buffer> {
    return Promise.resolve(this.buffer.subarray(offset, offset + length));
  }

  stream(offset = 0, length = this.buffer.length - offset): Readable {
    return bufferStream(this.buffer.subarray(offset, offset + length));
  }

  slice(offset: number, length: number, label: string): ByteSource {
    return new BufferByteSource(this.buffer.subarray(offset, offset + length), label);
  }
}

/** Fills `buffer` from `offset`; the part filled (all of it, unless the file ends first). */
async function readAt(handle: FileHandle, buffer: Buffer, offset: number): Promise<Buffer> {
  const { length } = buffer;
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buffer : buffer.subarray(0, done);
}

function bufferStream(buffer: Buffer): Readable {
  return Readable.from([buffer], { objectMode: false });
}
