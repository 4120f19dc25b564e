import type { ServiceError } from '@grpc/grpc-js';
import { pingArchiveServer, type DataPlaneTls, type PingOptions } from '../../shared/data-plane/index.js';

/** How preflight dials every targeted agent's data plane. */
export interface DataPlaneReachOptions {
  /** The coordinator's certificate for mutual TLS; undefined under --insecure (plaintext). */
  readonly tls: DataPlaneTls | undefined;
  /** How long an agent may take to answer. Default 3 s. */
  readonly timeoutMs?: number;
  /** pingArchiveServer unless a test injects another. */
  readonly ping?: (address: string, options: PingOptions) => Promise<unknown>;
}

/** An agent whose advertised data-plane address did not answer, and why. */
export interface UnreachableAgent {
  readonly node: string;
  readonly message: string;
}

export const DEFAULT_REACH_TIMEOUT_MS = 3000;

/**
 * Pings every agent at the data-plane address its heartbeat advertises, all at once, expecting that
 * node's certificate (with TLS). Every peer and the coordinator dial that address during the run, so an
 * agent advertising an address nobody can reach (a wrong `--grpc-advertise`, a closed port) would only
 * fail mid-transfer; here it fails before anything changed.
 */
export async function unreachableAgents(
  agents: readonly { readonly node: string; readonly grpcAddress: string }[],
  options: DataPlaneReachOptions,
): Promise<UnreachableAgent[]> {
  const ping = options.ping ?? pingArchiveServer;
  const timeoutMs = options.timeoutMs ?? DEFAULT_REACH_TIMEOUT_MS;
  const outcomes = await Promise.all(
    agents.map(async ({ node, grpcAddress }): Promise<UnreachableAgent | undefined> => {
      try {
        await ping(grpcAddress, {
          timeoutMs,
          ...(options.tls === undefined ? {} : { tls: options.tls, expectedPeer: node }),
        });
        return undefined;
      } catch (err) {
        return { node, message: unreachableMessage(grpcAddress, err) };
      }
    }),
  );
  return outcomes.filter((o): o is UnreachableAgent => o !== undefined);
}

function unreachableMessage(address: string, err: unknown): string {
  const port = address.slice(address.lastIndexOf(':') + 1);
  const detail = isServiceError(err) ? err.details : err instanceof Error ? err.message : String(err);
  return (
    `its data plane at ${address} does not answer (${detail}): check the agent's --grpc-advertise ` +
    `and that port ${port} is open from the spark node, where airlift upgrade runs`
  );
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).details === 'string';
}
