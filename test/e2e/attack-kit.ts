import { credentials, Metadata, status as GrpcStatus, type ChannelCredentials } from '@grpc/grpc-js';
import { connect as dial } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  connect,
  PermissionViolationError,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { MAX_PIECE_FRAME_BYTES, PIECE_STREAM_ALPN } from '../../shared/data-plane/archive-wire.js';
import type { PieceStreamTicket__Output } from '../../shared/data-plane/generated/airlift/data/v1/PieceStreamTicket.js';
import {
  archiveProto,
  DATA_PLANE_SERVER_NAME,
  fetchPieces,
  type DataPlaneTls,
  type FetchPiecesRequest,
  type FramedPiece,
} from '../../shared/data-plane/index.js';
import { splitHostPort } from '../../shared/data-plane/host-port.js';
import { readFrames } from '../helpers/read-frames.js';
import type { TestFleet } from '../helpers/test-fleet.js';

/** A nats.js connection an attacker holds, and every permission violation the server reported on it. */
export interface AttackerConnection {
  readonly nc: NatsConnection;
  readonly violations: PermissionViolationError[];
}

/** Connects a plain nats.js client (no airlift code) with `options`; collects permission violations. */
export async function attackerConnect(options: NodeConnectionOptions): Promise<AttackerConnection> {
  const nc = await connect({ ...options, reconnect: false, timeout: 5000 });
  const violations: PermissionViolationError[] = [];
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'error' && s.error instanceof PermissionViolationError) violations.push(s.error);
    }
  })();
  return { nc, violations };
}

/** Resolves once `check()` is true; rejects naming `what` after `timeoutMs`. */
export async function waitUntil(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Speaks the NATS protocol in plaintext to `url`'s host and port, as an old or careless client would:
 * the INFO line the server sent and whatever it answered to a plaintext CONNECT.
 */
export async function plaintextNatsExchange(url: string): Promise<{ info: string; answer: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = dial(Number(port), hostname);
    let text = '';
    let sent = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${url}: ${text}`));
    }, 10_000);
    const finish = (): void => {
      clearTimeout(timer);
      const [info = '', ...rest] = text.split('\r\n');
      resolve({ info, answer: rest.join('\n') });
    };
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (!sent && text.includes('\r\n')) {
        sent = true;
        socket.write('CONNECT {"verbose":false,"pedantic":false,"tls_required":false}\r\nPING\r\n');
      }
      if (/-ERR|PONG/.test(text)) socket.end();
    });
    socket.on('close', finish);
    socket.on('error', (err) => {
      // A reset after the server's -ERR is the refusal itself, not a test failure.
      if (text.includes('-ERR')) finish();
      else {
        clearTimeout(timer);
        reject(err);
      }
    });
  });
}

/** The body of a signed envelope, parsed, unchecked: what anyone on the bus can read of it. */
export function envelopeBody(data: Uint8Array): unknown {
  const envelope = JSON.parse(Buffer.from(data).toString('utf8')) as { body: string };
  return JSON.parse(envelope.body) as unknown;
}

/** How a data-plane fetch ended: a piece came, or an error with its gRPC status. */
export type PieceAttempt =
  | { readonly got: 'piece'; readonly index: number }
  | { readonly got: 'error'; readonly code: number; readonly details: string };

/** What one piece request asks for. */
export interface PieceAsk {
  readonly archiveId: string;
  readonly node: string;
  readonly runId: string;
}

/**
 * The TLS material behind credentials made here: a client certificate (withClientCert), or none
 * (noClientCert). Credentials not made here (`credentials.createInsecure()`) dial in plaintext.
 */
const attackerTls = new WeakMap<ChannelCredentials, { readonly ca: string; readonly cert?: DataPlaneTls }>();

/**
 * Asks the data plane at `address` for the archive's first piece, as `channel` (withClientCert,
 * noClientCert or plaintext credentials). With a certificate, or in plaintext, this is the receiver's
 * own fetchPieces (OpenPieceStream, then the piece stream with the same identity); without a
 * certificate, whose TLS fetchPieces cannot speak, it is a raw OpenPieceStream, then the piece stream
 * with the same certificate-less TLS.
 */
export async function askForPiece(
  address: string,
  channel: ChannelCredentials,
  ask: PieceAsk,
  timeoutMs = 10_000,
): Promise<PieceAttempt> {
  const request = { archiveId: ask.archiveId, fromPiece: 0, node: ask.node, runId: ask.runId, stride: 1 };
  const dial = attackerTls.get(channel);
  if (dial === undefined && channel._isSecure()) {
    throw new TypeError('askForPiece: make TLS credentials with withClientCert or noClientCert');
  }
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    if (dial === undefined || dial.cert !== undefined) {
      const pieces = fetchPieces(address, request, {
        ...(dial?.cert === undefined ? {} : { tls: dial.cert }),
        signal,
        connectTimeoutMs: timeoutMs,
      });
      return await firstPiece(pieces);
    }
    const ticket = await openPieceStream(address, channel, request, timeoutMs);
    return await firstPiece(redeemWithoutCertificate(address, ticket, dial.ca, signal));
  } catch (err) {
    const { code, details, message } = err as { code?: unknown; details?: unknown; message?: unknown };
    // A ServiceError (OpenPieceStream refused) has a numeric code; a socket error's code is a string.
    if (typeof code === 'number') {
      return { got: 'error', code, details: typeof details === 'string' ? details : String(message) };
    }
    return { got: 'error', code: GrpcStatus.UNKNOWN, details: `the piece stream broke: ${String(message)}` };
  }
}

/** The first piece of `pieces`, or the attempt that got none (the stream ended empty). */
async function firstPiece(pieces: AsyncGenerator<FramedPiece>): Promise<PieceAttempt> {
  // Leaving the loop early ends the generator, which closes its connection.
  for await (const piece of pieces) return { got: 'piece', index: piece.index };
  return {
    got: 'error',
    code: GrpcStatus.OK,
    details: 'admitted, but the piece stream ended without a piece',
  };
}

/** A raw OpenPieceStream with `channel`; resolves to the ticket, rejects with the ServiceError. */
async function openPieceStream(
  address: string,
  channel: ChannelCredentials,
  request: FetchPiecesRequest,
  timeoutMs: number,
): Promise<PieceStreamTicket__Output> {
  const { ArchiveService } = archiveProto();
  const client = new ArchiveService(address, channel, {
    'grpc.ssl_target_name_override': DATA_PLANE_SERVER_NAME,
  });
  try {
    return await new Promise<PieceStreamTicket__Output>((resolve, reject) => {
      client.openPieceStream(request, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, reply) => {
        if (err !== null) reject(err);
        else if (reply === undefined) reject(new Error('OpenPieceStream: empty reply'));
        else resolve(reply);
      });
    });
  } finally {
    client.close();
  }
}

/** The frames the piece stream sends for `ticket` over TLS without a client certificate (the server must refuse). */
async function* redeemWithoutCertificate(
  address: string,
  { port, ticket }: PieceStreamTicket__Output,
  ca: string,
  signal: AbortSignal,
): AsyncGenerator<FramedPiece> {
  const socket = tlsConnect({
    host: splitHostPort(address).host,
    port,
    ca,
    servername: DATA_PLANE_SERVER_NAME,
    ALPNProtocols: [PIECE_STREAM_ALPN],
    checkServerIdentity: () => undefined,
  });
  const onAbort = (): void => {
    socket.destroy(signal.reason as Error);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    socket.write(ticket);
    yield* readFrames(socket, MAX_PIECE_FRAME_BYTES);
  } finally {
    signal.removeEventListener('abort', onAbort);
    socket.destroy();
  }
}

/** TLS that trusts the fleet CA for the server but presents no client certificate. */
export function noClientCert(ca: string): ChannelCredentials {
  const channel = credentials.createSsl(Buffer.from(ca), null, null, {
    checkServerIdentity: () => undefined,
  });
  attackerTls.set(channel, { ca });
  return channel;
}

/**
 * TLS presenting `cert`/`key` (maybe another fleet's), trusting `ca` for the server (any airlift
 * identity: the attacker does not care whom it robs).
 */
export function withClientCert(ca: string, cert: string, key: string): ChannelCredentials {
  const channel = credentials.createSsl(Buffer.from(ca), Buffer.from(key), Buffer.from(cert), {
    checkServerIdentity: () => undefined,
  });
  attackerTls.set(channel, { ca, cert: { ca, cert, key } });
  return channel;
}

/** Every secret of a fleet's identities (nkey seeds, private keys), to search outputs for. */
export function secretsOf(trust: TestFleet, names: readonly string[]): string[] {
  return ['coordinator', ...names].flatMap((name) => {
    const id = trust.identity(name);
    return [id.nats.seed, pemBody(id.tls.key), pemBody(id.signingKey)];
  });
}

/** The base64 of a PEM without its armour lines: a key printed any other way still contains this. */
function pemBody(pem: string): string {
  return pem
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('-----'))
    .join('');
}

/** The secrets (or secret-looking text) found in `text`, described without printing them. */
export function leaksIn(text: string, secrets: readonly string[]): string[] {
  const found: string[] = [];
  if (/\bSU[A-Z2-7]{56}\b/.test(text)) found.push('an nkey user seed (SU…)');
  if (text.includes('PRIVATE KEY')) found.push('a PEM private key');
  // A single-line base64 run of a key body would be split by log wrapping only in theory; check lines too.
  const flat = text.replace(/\s+/g, '');
  secrets.forEach((secret, i) => {
    if (secret.length > 0 && (text.includes(secret) || flat.includes(secret))) found.push(`secret #${i}`);
  });
  return found;
}
