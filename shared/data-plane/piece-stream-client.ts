import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { connect as tcpConnect, type OnReadOpts, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { createArchiveClient, type ArchiveClientOptions } from './archive-client.js';
import { MAX_PIECE_FRAME_BYTES, PIECE_STREAM_ALPN } from './archive-wire.js';
import { checkPeer, DATA_PLANE_SERVER_NAME } from './data-plane-tls.js';
import type { FetchPiecesRequest } from './generated/airlift/data/v1/FetchPiecesRequest.js';
import type { PieceStreamTicket__Output } from './generated/airlift/data/v1/PieceStreamTicket.js';
import { splitHostPort } from './host-port.js';
import { FrameParser, type FramedPiece } from './piece-frames.js';
import { PieceInbox } from './piece-inbox.js';

/** How a receiver reaches a source. */
export interface FetchPiecesOptions extends ArchiveClientOptions {
  /** Aborting ends the fetch: the generator throws the signal's reason. */
  readonly signal?: AbortSignal;
  /** How long the OpenPieceStream call and the stream's connection may take (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Where each piece is received into (a buffer of exactly `length` bytes); default a fresh one. */
  readonly allocate?: (length: number) => Buffer;
}

/**
 * The pieces the server at `address` sends for `request`, in order, unchecked (the caller checks each
 * digest). Admission problems reject with the gRPC ServiceError of OpenPieceStream (its `code`:
 * NOT_FOUND while a peer does not serve the archive yet, PERMISSION_DENIED, OUT_OF_RANGE); a stream
 * that breaks, a source that is not `expectedPeer`, or a malformed frame throw an Error naming it.
 */
export async function* fetchPieces(
  address: string,
  request: FetchPiecesRequest,
  options: FetchPiecesOptions = {},
): AsyncGenerator<FramedPiece> {
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const { port, ticket } = await openPieceStream(address, request, options, timeoutMs);
  const parser = new FrameParser(MAX_PIECE_FRAME_BYTES, options.allocate);
  const inbox = new PieceInbox(parser);
  const socket = connectStream(splitHostPort(address).host, port, options, {
    buffer: () => parser.target(),
    callback: (length) => inbox.received(length),
  });
  inbox.attach(socket);
  const onAbort = (): void => {
    socket.destroy(options.signal?.reason as Error);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (options.signal?.aborted === true) onAbort();
    socket.setTimeout(timeoutMs, () => {
      socket.destroy(new Error(`the piece stream at ${address} did not open within ${timeoutMs} ms`));
    });
    socket.once('ready', () => socket.setTimeout(0));
    socket.write(ticket);
    yield* inbox.pieces();
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    socket.destroy();
  }
}

/** Asks the server to admit the fetch; resolves to the stream's port and ticket. */
async function openPieceStream(
  address: string,
  request: FetchPiecesRequest,
  options: FetchPiecesOptions,
  timeoutMs: number,
): Promise<PieceStreamTicket__Output> {
  const client = createArchiveClient(address, options);
  try {
    return await new Promise<PieceStreamTicket__Output>((resolve, reject) => {
      const call = client.openPieceStream(
        request,
        new Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err: ServiceError | null, reply?: PieceStreamTicket__Output) => {
          options.signal?.removeEventListener('abort', cancel);
          if (err !== null) reject(err);
          else if (reply === undefined) reject(new Error(`OpenPieceStream at ${address}: empty reply`));
          else resolve(reply);
        },
      );
      const cancel = (): void => {
        call.cancel();
      };
      options.signal?.addEventListener('abort', cancel, { once: true });
    });
  } finally {
    client.close();
  }
}

/**
 * The stream's connection: mutual TLS naming `expectedPeer`, or plain TCP without `tls`. `onread`
 * makes the socket read into the buffers the frame parser names instead of a new chunk per read.
 */
function connectStream(host: string, port: number, options: FetchPiecesOptions, onread: OnReadOpts): Socket {
  const { tls } = options;
  if (tls === undefined) return tcpConnect({ host, port, noDelay: true, onread });
  const tlsOptions: ConnectionOptions & { onread: OnReadOpts } = {
    onread,
    host,
    port,
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    servername: DATA_PLANE_SERVER_NAME,
    ALPNProtocols: [PIECE_STREAM_ALPN],
    checkServerIdentity: (_host, cert) => checkPeer(cert, options.expectedPeer),
  };
  // tls.connect takes onread (since Node 15); @types/node lacks it there.
  return tlsConnect(tlsOptions);
}
