import type { ServiceError } from '@grpc/grpc-js';
import { connect } from 'node:net';
import {
  pingArchiveServer,
  splitHostPort,
  type DataPlaneTls,
  type PingOptions,
} from '../../shared/data-plane/index.js';

/** How preflight dials every targeted agent's data plane. */
export interface DataPlaneReachOptions {
  /** The coordinator's certificate for mutual TLS; undefined under --insecure (plaintext). */
  readonly tls: DataPlaneTls | undefined;
  /** How long an agent may take to answer. Default 3 s. */
  readonly timeoutMs?: number;
  /** pingArchiveServer unless a test injects another. */
  readonly ping?: (
    address: string,
    options: PingOptions,
  ) => Promise<{ readonly pieceStreamPort?: number | undefined }>;
}

/** An agent whose advertised data-plane address did not answer, and why. */
export interface UnreachableAgent {
  readonly node: string;
  readonly message: string;
}

export const DEFAULT_REACH_TIMEOUT_MS = 3000;

/**
 * Pings every agent at the data-plane address its heartbeat advertises, all at once, expecting that
 * node's certificate (with TLS), then connects to the piece stream port the agent answers with. Every
 * peer and the coordinator dial both during the run, so an agent advertising an address nobody can
 * reach (a wrong `--grpc-advertise`, a closed port) would only fail mid-transfer; here it fails before
 * anything changed.
 */
export async function unreachableAgents(
  agents: readonly { readonly node: string; readonly grpcAddress: string }[],
  options: DataPlaneReachOptions,
): Promise<UnreachableAgent[]> {
  const ping = options.ping ?? pingArchiveServer;
  const timeoutMs = options.timeoutMs ?? DEFAULT_REACH_TIMEOUT_MS;
  const outcomes = await Promise.all(
    agents.map(({ node, grpcAddress }) => reachAgent(node, grpcAddress, ping, options.tls, timeoutMs)),
  );
  return outcomes.filter((o): o is UnreachableAgent => o !== undefined);
}

/** One agent: its gRPC endpoint answers as that node, then its piece stream port takes a connection. */
async function reachAgent(
  node: string,
  grpcAddress: string,
  ping: NonNullable<DataPlaneReachOptions['ping']>,
  tls: DataPlaneTls | undefined,
  timeoutMs: number,
): Promise<UnreachableAgent | undefined> {
  let streamPort: number;
  try {
    const reply = await ping(grpcAddress, {
      timeoutMs,
      ...(tls === undefined ? {} : { tls, expectedPeer: node }),
    });
    streamPort = reply.pieceStreamPort ?? 0;
  } catch (err) {
    return { node, message: unreachableMessage(grpcAddress, err) };
  }
  if (streamPort === 0) return undefined;
  try {
    await tcpReachable(splitHostPort(grpcAddress).host, streamPort, timeoutMs);
    return undefined;
  } catch (err) {
    return { node, message: unreachableStreamMessage(grpcAddress, streamPort, err) };
  }
}

function unreachableMessage(address: string, err: unknown): string {
  const port = address.slice(address.lastIndexOf(':') + 1);
  const detail = isServiceError(err) ? err.details : err instanceof Error ? err.message : String(err);
  return (
    `its data plane at ${address} does not answer (${detail}): check the agent's --grpc-advertise ` +
    `and that port ${port} is open from the spark node, where airlift upgrade runs`
  );
}

function unreachableStreamMessage(grpcAddress: string, port: number, err: unknown): string {
  const stream = `${grpcAddress.slice(0, grpcAddress.lastIndexOf(':'))}:${port}`;
  return (
    `its data plane answers at ${grpcAddress}, but its piece stream at ${stream} does not ` +
    `(${err instanceof Error ? err.message : String(err)}): open port ${port} too, from the spark node ` +
    `and between the nodes (or set the agent's --stream-listen to a port that is open)`
  );
}

/** Resolves once a TCP connection to `host:port` opens (and closes it); rejects on error or timeout. */
function tcpReachable(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    });
    socket.once('error', reject);
  });
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).details === 'string';
}
