import { once } from 'node:events';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { ApiDescriptor } from '../containerd-api.js';
import type { WriteCall } from './write-api.js';

/** Bytes of blob per Write message. */
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
 * with the expected digest and the blob's labels. Replies are read as they come (containerd answers every
 * message, and unread replies would stall the stream); send() waits for `drain`, so memory holds about
 * one chunk whatever the blob size.
 */
export class ContentWriteSession implements BlobSink {
  readonly skipped = false;
  private offset = 0;
  private failure: ServiceError | undefined;
  /** containerd found the blob already there (another writer committed it first). */
  private alreadyThere = false;
  private readonly finished: Promise<void>;

  constructor(
    private readonly call: WriteCall,
    readonly descriptor: ApiDescriptor,
    private readonly ref: string,
    private readonly labels: Readonly<Record<string, string>>,
  ) {
    this.finished = new Promise((resolve, reject) => {
      // Each reply only echoes the offset; reading them keeps HTTP/2 flow control moving.
      call.on('data', () => undefined);
      call.on('error', (err: ServiceError) => {
        if (err.code === GrpcStatus.ALREADY_EXISTS) {
          this.alreadyThere = true;
          resolve();
          return;
        }
        this.failure = err;
        reject(err);
      });
      call.on('status', (status: { code: GrpcStatus }) => {
        if (status.code === GrpcStatus.OK) resolve();
      });
    });
    // Failures surface from write() and commit(); this only keeps Node from calling them unhandled.
    this.finished.catch(() => undefined);
  }

  /** Sends STAT: with the expected digest, containerd answers ALREADY_EXISTS (and leases it) for a blob it holds. */
  async start(): Promise<void> {
    const { size, digest } = this.descriptor;
    await this.send({ action: 'STAT', ref: this.ref, total: size, expected: digest });
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.alreadyThere) return;
    // protobufjs and grpc-js each copy a message into a fresh buffer: at 1 MiB those come from mmap
    // and cost page faults on every message; at 256 KiB malloc reuses its heap (bench:fleet, agent CPU).
    for (let at = 0; at < chunk.length; at += MAX_WRITE_MESSAGE_BYTES) {
      const data = chunk.subarray(at, at + MAX_WRITE_MESSAGE_BYTES);
      await this.send({ action: 'WRITE', ref: this.ref, offset: this.offset, data });
      this.offset += data.length;
    }
  }

  async commit(): Promise<void> {
    if (!this.alreadyThere) {
      const { size, digest } = this.descriptor;
      await this.send({
        action: 'COMMIT',
        ref: this.ref,
        offset: this.offset,
        total: size,
        expected: digest,
        labels: this.labels,
      });
      this.call.end();
    }
    await this.finished;
  }

  abort(): void {
    this.call.cancel();
  }

  private async send(message: Parameters<WriteCall['write']>[0]): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.alreadyThere) return;
    if (!this.call.write(message)) {
      // `error` ends the wait too (events.once rejects on it), so a refused stream never hangs here.
      await once(this.call, 'drain').catch((err: unknown) => {
        if ((err as ServiceError).code !== GrpcStatus.ALREADY_EXISTS) throw err;
      });
    }
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
