import { Server, ServerCredentials, type ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { DataPlaneListenError } from '../errors/index.js';
import { silentLogger } from '../logging/index.js';
import type { ByteSource } from '../tar/index.js';
import { AIRLIFT_VERSION } from '../version.js';
import { archiveProto } from './archive-proto.js';
import { DEFAULT_CHUNK_BYTES } from './archive-wire.js';
import type { ArchiveChunk } from './generated/airlift/data/v1/ArchiveChunk.js';
import type { ArchiveServiceHandlers } from './generated/airlift/data/v1/ArchiveService.js';
import type { FetchRequest__Output } from './generated/airlift/data/v1/FetchRequest.js';
import type { FetchPiecesRequest__Output } from './generated/airlift/data/v1/FetchPiecesRequest.js';
import type { Piece } from './generated/airlift/data/v1/Piece.js';
import type { PieceSource } from './piece-source.js';
import { serveFetch } from './serve-fetch.js';
import { servePieces } from './serve-pieces.js';
import { ServeStats, type ArchiveServerStats } from './serve-stats.js';

/** How an ArchiveServer listens and streams. */
export interface ArchiveServerOptions {
  /** `host:port` to bind; port 0 picks a free one. Default `127.0.0.1:0`; production uses e.g. `0.0.0.0:7480`. */
  readonly address?: string;
  readonly logger?: Logger;
  /** Bytes per ArchiveChunk message. */
  readonly chunkBytes?: number;
  /** Bytes one fetch may queue towards a client that reads slower than the file (default 4 MiB). */
  readonly maxBufferedBytesPerFetch?: number;
  /** How long stop() lets in-flight fetches finish before cutting them off. */
  readonly shutdownGraceMs?: number;
}

const DEFAULT_SHUTDOWN_GRACE_MS = 5000;

/**
 * Serves registered archives (byte ranges of files) over gRPC: the coordinator serves the bundle's
 * images.tar, and agents will serve what they hold to their peers.
 */
export class ArchiveServer {
  private readonly server: Server;
  private readonly archives = new Map<string, ByteSource>();
  private readonly pieceSources = new Map<string, PieceSource>();
  private readonly counters = new ServeStats();
  private readonly forced = new AbortController();
  private readonly requested: string;
  private readonly logger: Logger;
  private readonly chunkBytes: number;
  private readonly maxBufferedBytes: number;
  private readonly graceMs: number;
  private starting: Promise<string> | undefined;
  private stopping: Promise<void> | undefined;
  private bound: string | undefined;

  constructor(options: ArchiveServerOptions = {}) {
    this.requested = options.address ?? '127.0.0.1:0';
    this.logger = (options.logger ?? silentLogger()).child({ component: 'archive-server' });
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.maxBufferedBytes = options.maxBufferedBytesPerFetch ?? 4 * DEFAULT_CHUNK_BYTES;
    this.graceMs = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
    this.server = new Server();
    const handlers: ArchiveServiceHandlers = {
      Fetch: (call: ServerWritableStream<FetchRequest__Output, ArchiveChunk>) => {
        void serveFetch(call, {
          lookup: (id) => this.archives.get(id),
          chunkBytes: this.chunkBytes,
          maxBufferedBytes: this.maxBufferedBytes,
          stats: this.counters,
          logger: this.logger,
          shutdown: this.forced.signal,
        });
      },
      FetchPieces: (call: ServerWritableStream<FetchPiecesRequest__Output, Piece>) => {
        void servePieces(call, {
          lookup: (id) => this.pieceSources.get(id),
          maxBufferedBytes: this.maxBufferedBytes,
          stats: this.counters,
          logger: this.logger,
          shutdown: this.forced.signal,
        });
      },
      Ping: (call, callback) => {
        this.logger.debug({ node: call.request.node }, 'ping');
        callback(null, {
          version: AIRLIFT_VERSION,
          timeUnixMs: Date.now(),
          archiveCount: this.archives.size,
        });
      },
    };
    this.server.addService(archiveProto().ArchiveService.service, handlers);
  }

  /** Binds and starts serving; resolves to the bound `host:port` (the real port when 0 was asked). */
  start(): Promise<string> {
    this.starting ??= this.bind();
    return this.starting;
  }

  /** The bound `host:port`, once start() resolved. */
  get address(): string | undefined {
    return this.bound;
  }

  /** Serves `source` as archive `id` (the sha256 hex of its bytes); replaces an earlier registration. */
  register(id: string, source: ByteSource): void {
    this.archives.set(id, source);
    this.logger.info({ archiveId: id, size: source.size, label: source.label }, 'archive registered');
  }

  /** Offers archive `id` piece by piece (FetchPieces); a relay's pieces may still be arriving. */
  registerPieces(id: string, source: PieceSource): void {
    this.pieceSources.set(id, source);
    this.logger.info({ archiveId: id, pieces: source.pieceCount }, 'pieces registered');
  }

  /** Stops offering `id` to new fetches; fetches already streaming it run to their end. */
  unregister(id: string): boolean {
    const pieces = this.pieceSources.delete(id);
    return this.archives.delete(id) || pieces;
  }

  /** Bytes and fetches per requesting node since the server was created. */
  stats(): ArchiveServerStats {
    return this.counters.snapshot();
  }

  /**
   * Stops accepting calls and waits up to the grace period for in-flight fetches, then cuts them off.
   * Safe to call more than once and before start().
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async bind(): Promise<string> {
    if (this.stopping !== undefined) throw new Error('ArchiveServer.start() after stop()');
    const port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(this.requested, ServerCredentials.createInsecure(), (err, boundPort) => {
        if (err === null) resolve(boundPort);
        else reject(new DataPlaneListenError(this.requested, err));
      });
    });
    this.bound = `${this.requested.slice(0, this.requested.lastIndexOf(':'))}:${port}`;
    this.logger.info({ address: this.bound }, 'data plane listening');
    return this.bound;
  }

  private async shutdown(): Promise<void> {
    await this.starting?.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      new Promise<boolean>((resolve) => {
        this.server.tryShutdown(() => {
          resolve(true);
        });
      }),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => {
          resolve(false);
        }, this.graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (!drained) {
      const { activeFetches } = this.counters.snapshot();
      this.logger.warn(
        { activeFetches, graceMs: this.graceMs },
        'fetches still running at shutdown: cutting them off',
      );
      this.forced.abort();
      this.server.forceShutdown();
    }
    this.logger.info('data plane stopped');
  }
}
