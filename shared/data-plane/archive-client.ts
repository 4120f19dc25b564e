import { credentials, Metadata, type ChannelOptions } from '@grpc/grpc-js';
import { archiveProto } from './archive-proto.js';
import { channelCredentialsFor, DATA_PLANE_SERVER_NAME, type DataPlaneTls } from './data-plane-tls.js';
import type { ArchiveServiceClient } from './generated/airlift/data/v1/ArchiveService.js';
import type { PingReply__Output } from './generated/airlift/data/v1/PingReply.js';

/** Channel settings for a data-plane client. */
export interface ArchiveClientOptions {
  /** Mutual TLS with this identity's certificate; without it, plaintext (`--insecure`). */
  readonly tls?: DataPlaneTls;
  /**
   * With `tls`: the identity the server's certificate must name, a node name or 'coordinator' (the
   * address is not checked: agents are dialled by IP). Absent: any fleet identity.
   */
  readonly expectedPeer?: string;
}

/**
 * A client for the ArchiveService at `host:port`; close() it when done. With `tls`, a server whose
 * certificate does not name `expectedPeer` fails the connection (calls end UNAVAILABLE, naming both).
 */
export function createArchiveClient(
  address: string,
  options: ArchiveClientOptions = {},
): ArchiveServiceClient {
  const channelOptions: ChannelOptions = {};
  const { ArchiveService } = archiveProto();
  if (options.tls === undefined) {
    return new ArchiveService(address, credentials.createInsecure(), channelOptions);
  }
  channelOptions['grpc.ssl_target_name_override'] = DATA_PLANE_SERVER_NAME;
  return new ArchiveService(
    address,
    channelCredentialsFor(options.tls, options.expectedPeer),
    channelOptions,
  );
}

/** Options for pingArchiveServer. */
export interface PingOptions extends Pick<ArchiveClientOptions, 'tls' | 'expectedPeer'> {
  readonly node?: string;
  readonly timeoutMs?: number;
}

/** Asks the server at `address` for its version and clock; rejects with the grpc-js ServiceError. */
export async function pingArchiveServer(
  address: string,
  options: PingOptions = {},
): Promise<PingReply__Output> {
  const client = createArchiveClient(address, {
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    ...(options.expectedPeer === undefined ? {} : { expectedPeer: options.expectedPeer }),
  });
  try {
    return await new Promise<PingReply__Output>((resolve, reject) => {
      const deadline = Date.now() + (options.timeoutMs ?? 5000);
      client.ping({ node: options.node ?? '' }, new Metadata(), { deadline }, (err, reply) => {
        if (err !== null) reject(err);
        else if (reply === undefined) reject(new Error(`ping ${address}: empty reply`));
        else resolve(reply);
      });
    });
  } finally {
    client.close();
  }
}
