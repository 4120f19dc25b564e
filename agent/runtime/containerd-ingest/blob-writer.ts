import { status as GrpcStatus } from '@grpc/grpc-js';
import type { ApiDescriptor } from '../containerd-api.js';
import type { WriteCall, WriteMessage } from './write-api.js';

/** Bytes of blob per Write message (containerd's own client sends up to 1 MiB). */
const MAX_WRITE_MESSAGE_BYTES = 256 * 1024;

/** Takes one blob's bytes in order and commits them under its digest. */
export interface BlobSink {
  readonly descriptor: ApiDescriptor;
  /** True when the content store already held the blob: writes are dropped, commit only labels it. */
  readonly skipped: boolean;
  /** The next bytes of the blob; resolves once containerd can take more. */
  write(chunk: Buffer): Promise<void>;
  /** Ends the blob: containerd hashes what it got and refuses it unless size and digest match. */
  commit(): Promise<void>;
  /** Gives up on the blob (the lease's end lets GC drop what was written). */
  abort(): void;
}

/**
 * One content.Write session: STAT (ref, total, expected), WRITE messages at increasing offsets, COMMIT
 * with the expected digest and the blob's labels. send() waits while about a MiB is queued, so memory
 * holds little whatever the blob size; a chunk passed to write() goes out as it is, so the caller must
 * not change it afterwards.
 */
export class ContentWriteSession implements BlobSink {
  readonly skipped = false;
  private offset = 0;
  /** containerd found the blob already there (another writer committed it first). */
  private alreadyThere = false;

  constructor(
    private readonly call: WriteCall,
    readonly descriptor: ApiDescriptor,
    private readonly ref: string,
    private readonly labels: Readonly<Record<string, string>>,
  ) {}

  /** Sends STAT: with the expected digest, containerd answers ALREADY_EXISTS (and leases it) for a blob it holds. */
  async start(): Promise<void> {
    const { size, digest } = this.descriptor;
    await this.send({ action: 'STAT', ref: this.ref, total: size, expected: digest });
  }

  async write(chunk: Buffer): Promise<void> {
    for (let at = 0; at < chunk.length && !this.alreadyThere; at += MAX_WRITE_MESSAGE_BYTES) {
      const data = chunk.subarray(at, at + MAX_WRITE_MESSAGE_BYTES);
      await this.send({ action: 'WRITE', ref: this.ref, offset: this.offset, data });
      this.offset += data.length;
    }
  }

  async commit(): Promise<void> {
    const { size, digest } = this.descriptor;
    await this.send({
      action: 'COMMIT',
      ref: this.ref,
      offset: this.offset,
      total: size,
      expected: digest,
      labels: this.labels,
    });
    if (this.alreadyThere) return;
    await this.call.close().catch((err: unknown) => {
      this.absorbAlreadyExists(err);
    });
  }

  abort(): void {
    this.call.cancel();
  }

  private async send(message: WriteMessage): Promise<void> {
    if (this.alreadyThere) return;
    await this.call.send(message).catch((err: unknown) => {
      this.absorbAlreadyExists(err);
    });
  }

  // ALREADY_EXISTS ends the call early: the store holds the blob (and the lease now names it).
  private absorbAlreadyExists(err: unknown): void {
    if ((err as { code?: unknown }).code !== GrpcStatus.ALREADY_EXISTS) throw err;
    this.alreadyThere = true;
  }
}

/** A blob the store already holds, or another sink of this session writes: nothing to send. */
export class PresentBlob implements BlobSink {
  readonly skipped = true;
  constructor(
    readonly descriptor: ApiDescriptor,
    private readonly ready: Promise<void>,
  ) {}
  write(): Promise<void> {
    return Promise.resolve();
  }
  /** Resolves once the blob is in the store (at once, unless another sink is still writing it). */
  commit(): Promise<void> {
    return this.ready;
  }
  abort(): void {}
}
