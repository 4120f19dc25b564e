import { Server } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { DataPlaneListenError } from '../errors/index.js';
import { silentLogger } from '../logging/index.js';
import { AIRLIFT_VERSION } from '../version.js';
import { AccessGate, isRefusal, type ArchiveAccess } from './archive-access.js';
import { archiveProto } from './archive-proto.js';
import type { ArchiveServiceHandlers } from './generated/airlift/data/v1/ArchiveService.js';
import { serverCredentialsFor, type DataPlaneTls } from './data-plane-tls.js';
import { splitHostPort } from './host-port.js';
import { admitFetch, type PieceFetch } from './open-piece-stream.js';
import type { PieceSource } from './piece-source.js';
import { PieceStreamServer } from './piece-stream-server.js';
import type { Registered } from './serve-call.js';
import { ServeStats, type ArchiveServerStats } from './serve-stats.js';
import { StreamTickets } from './stream-tickets.js';

/** How an ArchiveServer listens and streams. */
export interface ArchiveServerOptions {
  /** `host:port` to bind; port 0 picks a free one. Default `127.0.0.1:0`; production uses e.g. `0.0.0.0:7480`. */
  readonly address?: string;
  /**
   * `host:port` of the piece stream, the listener that carries the pieces themselves. Default: the
   * host of `address` and its port + 2 (7480 gives 7482, 7481 gives 7483), or any free port when
   * `address` asks for port 0.
   */
  readonly streamAddress?: string;
  readonly logger?: Logger;
  /** Bytes one fetch may queue towards a client that reads slower than the file (default 4 MiB). */
  readonly maxBufferedBytesPerFetch?: number;
  /** How long stop() lets in-flight fetches finish before cutting them off. */
  readonly shutdownGraceMs?: number;
  /**
   * Mutual TLS: clients must present a certificate from this fleet CA, and fetch only what their
   * identity is allowed. Without it the server is plaintext and identifies nobody (`--insecure`).
   */
  readonly tls?: DataPlaneTls;
}

const DEFAULT_SHUTDOWN_GRACE_MS = 5000;
const DEFAULT_MAX_BUFFERED_BYTES = 4 << 20;

/**
 * Serves registered archives piece by piece: the coordinator serves the bundle's images.tar, and agents
 * serve the pieces they hold to their peers. gRPC admits each fetch (OpenPieceStream) and answers
 * Ping; the pieces go out on the piece stream, a second listener with the same TLS identities.
 */
export class ArchiveServer {
  private readonly server: Server;
  private readonly stream: PieceStreamServer;
  private readonly tickets = new StreamTickets<PieceFetch>();
  private readonly requestedStream: string;
  private streamPort = 0;
  private readonly pieceSources = new Map<string, Registered<PieceSource>>();
  private readonly counters = new ServeStats();
  private readonly gate: AccessGate;
  private readonly tls: DataPlaneTls | undefined;
  private readonly requested: string;
  private readonly logger: Logger;
  private readonly graceMs: number;
  private starting: Promise<string> | undefined;
  private stopping: Promise<void> | undefined;
  private bound: string | undefined;

  constructor(options: ArchiveServerOptions = {}) {
    this.requested = options.address ?? '127.0.0.1:0';
    this.requestedStream = options.streamAddress ?? defaultStreamAddress(this.requested);
    this.logger = (options.logger ?? silentLogger()).child({ component: 'archive-server' });
    this.graceMs = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
    this.tls = options.tls;
    this.gate = new AccessGate(this.tls !== undefined, this.counters, this.logger);
    this.stream = new PieceStreamServer({
      tls: this.tls,
      tickets: this.tickets,
      send: {
        stats: this.counters,
        maxBufferedBytes: options.maxBufferedBytesPerFetch ?? DEFAULT_MAX_BUFFERED_BYTES,
        logger: this.logger,
      },
      logger: this.logger,
    });
    this.server = new Server();
    const handlers: ArchiveServiceHandlers = {
      OpenPieceStream: (call, callback) => {
        const fetch = admitFetch(call, call.request, {
          gate: this.gate,
          lookup: (id) => this.pieceSources.get(id),
        });
        if (isRefusal(fetch)) {
          callback(fetch);
          return;
        }
        const ticket = this.tickets.issue({ identity: fetch.caller.identity, what: fetch });
        callback(null, { port: this.streamPort, ticket });
      },
      Ping: (call, callback) => {
        // Open to any authenticated peer: the request's node is not checked against its certificate.
        const caller = this.gate.admit(call, undefined);
        if (isRefusal(caller)) {
          callback(caller);
          return;
        }
        this.logger.debug({ node: call.request.node, peer: caller.label }, 'ping');
        callback(null, {
          version: AIRLIFT_VERSION,
          timeUnixMs: Date.now(),
          archiveCount: this.pieceSources.size,
          pieceStreamPort: this.streamPort,
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

  /**
   * Offers archive `id` (the sha256 hex of its bytes) piece by piece to the callers `access` allows;
   * a relay's pieces may still be arriving. Replaces an earlier registration.
   */
  registerPieces(id: string, source: PieceSource, access: ArchiveAccess): void {
    this.pieceSources.set(id, { source, access: this.checked(access) });
    this.logger.info(
      { archiveId: id, pieces: source.pieceCount, access: describeAccess(access) },
      'pieces registered',
    );
  }

  /** Stops offering `id` to new fetches; fetches already streaming it run to their end. */
  unregister(id: string): boolean {
    return this.pieceSources.delete(id);
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

  /** `access` itself; `anyone` on a TLS server is a wiring mistake that would serve every fleet member. */
  private checked(access: ArchiveAccess): ArchiveAccess {
    if (access.kind === 'anyone' && !this.gate.acceptsAnyone) {
      throw new TypeError("an ArchiveServer with TLS serves named nodes only, not { kind: 'anyone' }");
    }
    return access;
  }

  private async bind(): Promise<string> {
    if (this.stopping !== undefined) throw new Error('ArchiveServer.start() after stop()');
    const port = await new Promise<number>((resolve, reject) => {
      let credentials;
      try {
        credentials = serverCredentialsFor(this.tls);
      } catch (err) {
        // grpc-js checks the PEM arguments here; its messages name the argument, never the key.
        reject(new DataPlaneListenError(this.requested, err));
        return;
      }
      this.server.bindAsync(this.requested, credentials, (err, boundPort) => {
        if (err === null) resolve(boundPort);
        else reject(new DataPlaneListenError(this.requested, err));
      });
    });
    this.bound = `${this.requested.slice(0, this.requested.lastIndexOf(':'))}:${port}`;
    try {
      this.streamPort = await this.stream.listen(this.requestedStream);
    } catch (err) {
      this.server.forceShutdown();
      throw new DataPlaneListenError(this.requestedStream, err);
    }
    this.logger.info(
      { address: this.bound, pieceStreamPort: this.streamPort, tls: this.tls !== undefined },
      'data plane listening',
    );
    return this.bound;
  }

  private async shutdown(): Promise<void> {
    await this.starting?.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.all([
        new Promise<void>((resolve) => {
          this.server.tryShutdown(() => {
            resolve();
          });
        }),
        this.stream.close(),
      ]).then(() => true),
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
      this.stream.cutOff();
      this.server.forceShutdown();
    }
    this.logger.info('data plane stopped');
  }
}

/** The piece stream's default address: the data plane's host, its port + 2 (any free one for port 0). */
function defaultStreamAddress(address: string): string {
  const { port } = splitHostPort(address);
  return `${address.slice(0, address.lastIndexOf(':'))}:${port === 0 ? 0 : port + 2}`;
}

/** `anyone`, or the node names, for the log. */
function describeAccess(access: ArchiveAccess): string | string[] {
  return access.kind === 'anyone' ? 'anyone' : [...access.names].sort();
}
