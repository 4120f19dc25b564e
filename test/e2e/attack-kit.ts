import { credentials, Metadata, status as GrpcStatus, type ChannelCredentials } from '@grpc/grpc-js';
import { connect as dial } from 'node:net';
import {
  connect,
  PermissionViolationError,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { archiveProto, DATA_PLANE_SERVER_NAME } from '../../shared/data-plane/index.js';
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

/** How a data-plane call ended: a piece came, or an error with its gRPC status. */
export type PieceAttempt =
  | { readonly got: 'piece'; readonly index: number }
  | { readonly got: 'error'; readonly code: number; readonly details: string };

/** What one piece request asks for. */
export interface PieceAsk {
  readonly archiveId: string;
  readonly node: string;
  readonly runId: string;
}

/** Asks the ArchiveService at `address` for the archive's first piece with raw grpc-js credentials. */
export async function askForPiece(
  address: string,
  channel: ChannelCredentials,
  ask: PieceAsk,
  timeoutMs = 10_000,
): Promise<PieceAttempt> {
  const { ArchiveService } = archiveProto();
  const client = new ArchiveService(address, channel, {
    'grpc.ssl_target_name_override': DATA_PLANE_SERVER_NAME,
    // A whole piece is one message (4 MiB by default, plus framing).
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  });
  try {
    return await new Promise<PieceAttempt>((resolve) => {
      const call = client.fetchPieces(
        { archiveId: ask.archiveId, fromPiece: 0, node: ask.node, runId: ask.runId, stride: 1 },
        new Metadata(),
        { deadline: Date.now() + timeoutMs },
      );
      call.on('data', (piece: { index: number }) => {
        resolve({ got: 'piece', index: piece.index });
        call.cancel();
      });
      call.on('error', (err: { code?: number; details?: string; message: string }) => {
        resolve({ got: 'error', code: err.code ?? GrpcStatus.UNKNOWN, details: err.details ?? err.message });
      });
      call.on('end', () => {
        resolve({ got: 'error', code: GrpcStatus.OK, details: 'stream ended without a piece' });
      });
    });
  } finally {
    client.close();
  }
}

/** TLS that trusts the fleet CA for the server but presents no client certificate. */
export function noClientCert(ca: string): ChannelCredentials {
  return credentials.createSsl(Buffer.from(ca), null, null, { checkServerIdentity: () => undefined });
}

/** TLS presenting `cert`/`key` (maybe another fleet's), trusting `ca` for the server. */
export function withClientCert(ca: string, cert: string, key: string): ChannelCredentials {
  return credentials.createSsl(Buffer.from(ca), Buffer.from(key), Buffer.from(cert), {
    checkServerIdentity: () => undefined,
  });
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
  if (/SU[A-Z2-7]{56}/.test(text)) found.push('an nkey user seed (SU…)');
  if (text.includes('PRIVATE KEY')) found.push('a PEM private key');
  // A single-line base64 run of a key body would be split by log wrapping only in theory; check lines too.
  const flat = text.replace(/\s+/g, '');
  secrets.forEach((secret, i) => {
    if (secret.length > 0 && (text.includes(secret) || flat.includes(secret))) found.push(`secret #${i}`);
  });
  return found;
}
