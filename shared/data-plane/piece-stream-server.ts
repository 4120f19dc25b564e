import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { describePeer, peerIdentityOf, type PeerIdentity } from '../trust/peer-identity.js';
import type { DataPlaneTls } from './data-plane-tls.js';
import { splitHostPort } from './host-port.js';
import type { PieceFetch } from './open-piece-stream.js';
import { PIECE_STREAM_ALPN } from './archive-wire.js';
import { sendPieces, type SendContext } from './send-pieces.js';
import { TICKET_BYTES, type StreamTickets } from './stream-tickets.js';

/** How long a new connection has to send its ticket. */
const TICKET_WAIT_MS = 5000;

/** What the piece stream needs from the ArchiveServer it belongs to. */
export interface PieceStreamServerOptions {
  readonly tls: DataPlaneTls | undefined;
  readonly tickets: StreamTickets<PieceFetch>;
  readonly send: SendContext;
  readonly logger: Logger;
}

/**
 * The piece stream: a plain TLS (or, with `--insecure`, TCP) listener that sends the pieces an
 * OpenPieceStream call admitted, as length-prefixed frames. It trusts nothing a connection says but
 * its certificate and its ticket.
 */
export class PieceStreamServer {
  private readonly server: TcpServer;
  private readonly active = new Map<Socket, AbortController>();
  private idle: (() => void) | undefined;

  constructor(private readonly options: PieceStreamServerOptions) {
    const { tls } = options;
    if (tls === undefined) {
      this.server = createTcpServer((socket) => void this.serve(socket, undefined));
    } else {
      const server = createTlsServer(
        {
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
          requestCert: true,
          rejectUnauthorized: true,
          ALPNProtocols: [PIECE_STREAM_ALPN],
        },
        (socket: TLSSocket) => void this.serve(socket, peerIdentityOf(socket.getPeerCertificate())),
      );
      server.on('tlsClientError', (err) => {
        options.logger.debug({ err: err.message }, 'piece stream: TLS handshake failed');
      });
      this.server = server;
    }
  }

  /** Binds `address` (`host:port`, port 0 for any); resolves to the bound port. */
  async listen(address: string): Promise<number> {
    const { host, port } = splitHostPort(address);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const bound = this.server.address();
    return typeof bound === 'object' && bound !== null ? bound.port : port;
  }

  /** Streams still sending. */
  get activeStreams(): number {
    return this.active.size;
  }

  /** Stops accepting; resolves once every stream has ended (see cutOff). */
  async close(): Promise<void> {
    if (this.server.listening) this.server.close();
    if (this.active.size === 0) return;
    await new Promise<void>((resolve) => {
      this.idle = resolve;
    });
  }

  /** Ends every stream now: a receiver moves to its next source. */
  cutOff(): void {
    for (const [socket, stop] of this.active) {
      stop.abort(new Error('the server is stopping'));
      socket.destroy();
    }
  }

  /** `identity`: what the connection's certificate names; undefined on plaintext. */
  private async serve(socket: Socket, identity: PeerIdentity | undefined): Promise<void> {
    const stop = new AbortController();
    this.active.set(socket, stop);
    socket.on('error', (err) => {
      this.options.logger.debug({ err: err.message }, 'piece stream: connection error');
    });
    socket.once('close', () => {
      stop.abort(new Error('the receiver closed the stream'));
      this.active.delete(socket);
      if (this.active.size === 0) this.idle?.();
    });
    const ticket = await readTicket(socket);
    const grant = ticket === undefined ? undefined : this.options.tickets.redeem(ticket, identity);
    if (grant === undefined) {
      this.options.send.stats.refused(describePeer(identity));
      this.options.logger.warn(
        { peer: describePeer(identity) },
        'piece stream refused: no live ticket issued to this identity',
      );
      socket.destroy();
      return;
    }
    // The receiver sends nothing after its ticket; anything more is not the protocol.
    socket.on('data', () => socket.destroy());
    await sendPieces(socket, grant.what, this.options.send, stop.signal);
  }
}

/** The first TICKET_BYTES a connection sends, or undefined when it sends fewer, more, or too late. */
function readTicket(socket: Socket): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const done = (ticket: Buffer | undefined): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(ticket);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= TICKET_BYTES) done(length === TICKET_BYTES ? Buffer.concat(chunks, length) : undefined);
    };
    const onClose = (): void => {
      done(undefined);
    };
    const timer = setTimeout(onClose, TICKET_WAIT_MS);
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}
