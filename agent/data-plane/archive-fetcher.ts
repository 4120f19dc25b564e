import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { status as GrpcStatus, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import {
  createArchiveClient,
  grpcStatusName,
  sha256Hex,
  type ArchiveChunk__Output,
  type ArchiveServiceClient,
  type DataPlaneTls,
} from '../../shared/data-plane/index.js';
import { ArchiveFetchError, ArchiveIntegrityError } from '../../shared/errors/index.js';
import { silentLogger } from '../../shared/logging/index.js';

/** What to fetch, from where, and who asks. */
export interface FetchArchiveOptions {
  /** `host:port` of an ArchiveService. */
  readonly address: string;
  /** The archive id (sha256 hex of its bytes). */
  readonly archiveId: string;
  /** Size of the whole archive in bytes. */
  readonly size: number;
  /** Expected digest of the whole archive, `sha256:<hex>` or bare hex. */
  readonly sha256: string;
  /** First byte to fetch; the digest is only checked when this is 0 (the default). */
  readonly offset?: number;
  readonly node: string;
  readonly runId: string;
  /** Aborting cancels the call; the stream then errors with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Called as bytes arrive with the position reached in the archive (offset + bytes received). */
  readonly onProgress?: (bytesDone: number) => void;
  readonly maxReceiveMessageSize?: number;
  readonly flowControlWindow?: number;
  /** Mutual TLS with this node's certificate; the server must be `expectedPeer` (see createArchiveClient). */
  readonly tls?: DataPlaneTls;
  readonly expectedPeer?: string;
  /** Bytes the returned stream buffers before it pauses the gRPC call. */
  readonly highWaterMark?: number;
  readonly logger?: Logger;
}

/** Default read-ahead of the returned stream: a few chunks, so a slow consumer holds little memory. */
export const DEFAULT_FETCH_BUFFER_BYTES = 4 << 20;

/**
 * Streams an archive from a data-plane server as a Readable of its bytes, in order, ready to pipe into a
 * runtime import. It errors with ArchiveFetchError on gRPC failures and ArchiveIntegrityError when the
 * bytes received do not match the announced size or (from offset 0) digest; the last chunk is only
 * delivered once those checks pass.
 */
export function fetchArchive(options: FetchArchiveOptions): Readable {
  // Checked before the stream exists: a throw from a Readable's constructor would still run _construct.
  const start = options.offset ?? 0;
  if (!Number.isSafeInteger(start) || start < 0 || start > options.size) {
    throw new RangeError(`fetchArchive: offset ${start} is outside archive of ${options.size} bytes`);
  }
  const expectedHex = sha256Hex(options.sha256);
  if (expectedHex === undefined) {
    throw new TypeError(`fetchArchive: ${JSON.stringify(options.sha256)} is not a sha256 digest`);
  }
  return new ArchiveFetchStream(options, start, expectedHex);
}

class ArchiveFetchStream extends Readable {
  private readonly hash: Hash = createHash('sha256');
  private readonly log: Logger;
  private readonly onAbort = (): void => {
    this.destroy(abortReason(this.options.signal));
  };
  private client: ArchiveServiceClient | undefined;
  private call: ClientReadableStream<ArchiveChunk__Output> | undefined;
  private callDone = false;
  private position: number;
  private held: Buffer | undefined;

  constructor(
    private readonly options: FetchArchiveOptions,
    private readonly start: number,
    private readonly expectedHex: string,
  ) {
    super({ highWaterMark: options.highWaterMark ?? DEFAULT_FETCH_BUFFER_BYTES });
    this.position = start;
    this.log = (options.logger ?? silentLogger()).child({
      component: 'archive-fetcher',
      archiveId: options.archiveId,
      address: options.address,
      node: options.node,
      runId: options.runId,
    });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    const { signal } = this.options;
    if (signal?.aborted === true) {
      callback(abortReason(signal));
      return;
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
    let call: ClientReadableStream<ArchiveChunk__Output>;
    try {
      this.client = createArchiveClient(this.options.address, {
        ...(this.options.maxReceiveMessageSize === undefined
          ? {}
          : { maxReceiveMessageSize: this.options.maxReceiveMessageSize }),
        ...(this.options.flowControlWindow === undefined
          ? {}
          : { flowControlWindow: this.options.flowControlWindow }),
        ...(this.options.tls === undefined ? {} : { tls: this.options.tls }),
        ...(this.options.expectedPeer === undefined ? {} : { expectedPeer: this.options.expectedPeer }),
      });
      call = this.client.fetch({
        archiveId: this.options.archiveId,
        offset: this.start,
        // An explicit length, so a server holding a shorter archive answers OUT_OF_RANGE up front.
        length: this.options.size - this.start,
        node: this.options.node,
        runId: this.options.runId,
      });
    } catch (err) {
      // grpc-js throws for a target it cannot parse at all (e.g. an empty address).
      callback(this.fetchError('INVALID_ARGUMENT', err instanceof Error ? err.message : String(err), err));
      return;
    }
    this.call = call;
    call.on('data', (chunk: ArchiveChunk__Output) => {
      this.onChunk(chunk);
    });
    call.on('end', () => {
      this.onEnd();
    });
    call.on('error', (err: ServiceError) => {
      this.onCallError(err);
    });
    call.on('status', () => {
      // Every message is already in the call's buffer once the status is in: the channel can go.
      this.callDone = true;
      this.client?.close();
    });
    this.log.debug({ offset: this.start, size: this.options.size }, 'fetch started');
    callback();
  }

  override _read(): void {
    this.call?.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.options.signal?.removeEventListener('abort', this.onAbort);
    // Cancelling tells the server to stop reading the file; after the status there is nothing to cancel.
    if (!this.callDone) this.call?.cancel();
    this.client?.close();
    if (error !== null) this.log.info({ err: error, reached: this.position }, 'fetch stopped');
    callback(error);
  }

  private onChunk(chunk: ArchiveChunk__Output): void {
    if (this.destroyed) return;
    if (chunk.offset !== this.position) {
      this.fail(`a chunk starts at byte ${chunk.offset} where byte ${this.position} was due`);
      return;
    }
    if (this.position + chunk.data.length > this.options.size) {
      this.fail(`the server sent more than the announced ${this.options.size} bytes`);
      return;
    }
    this.hash.update(chunk.data);
    this.position += chunk.data.length;
    this.options.onProgress?.(this.position);
    // The newest chunk is held back until the next one arrives or the digest checks out, so a consumer
    // never sees the end of an archive that turns out to be wrong (a runtime import then fails on a
    // truncated tar instead of completing).
    const ready = this.held;
    this.held = chunk.data;
    // A full buffer pauses the call; grpc-js then stops reading the HTTP/2 stream and flow control
    // holds the server back. _read() resumes it.
    if (ready !== undefined && !this.push(ready)) this.call?.pause();
  }

  private onEnd(): void {
    if (this.destroyed) return;
    const { size } = this.options;
    if (this.position !== size) {
      this.fail(`the stream ended after ${this.position - this.start} of ${size - this.start} bytes`);
      return;
    }
    if (this.start === 0) {
      const actual = this.hash.digest('hex');
      if (actual !== this.expectedHex) {
        this.fail(`its sha256 is ${actual}, the job announced ${this.expectedHex}`);
        return;
      }
    }
    this.log.debug({ bytes: size - this.start, digestChecked: this.start === 0 }, 'fetch complete');
    if (this.held !== undefined) this.push(this.held);
    this.held = undefined;
    this.push(null);
  }

  private onCallError(err: ServiceError): void {
    this.callDone = true;
    if (this.destroyed) return;
    const { signal } = this.options;
    if (signal?.aborted === true) {
      this.destroy(abortReason(signal));
      return;
    }
    // We did not cancel, so a CANCELLED status means the server (shutting down) or the connection ended it.
    const details =
      err.code === GrpcStatus.CANCELLED ? `${err.details} by the server or the connection` : err.details;
    this.destroy(this.fetchError(grpcStatusName(err.code), details, err));
  }

  private fetchError(status: string, details: string, cause: unknown): ArchiveFetchError {
    const { archiveId, address, node } = this.options;
    return new ArchiveFetchError(archiveId, address, status, details, { node }, cause);
  }

  private fail(detail: string): void {
    this.destroy(
      new ArchiveIntegrityError(this.options.archiveId, this.options.address, detail, {
        node: this.options.node,
      }),
    );
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException('the archive fetch was aborted', 'AbortError');
}
