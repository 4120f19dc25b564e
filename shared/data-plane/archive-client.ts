import { credentials, Metadata, type ChannelOptions } from '@grpc/grpc-js';
import { archiveProto } from './archive-proto.js';
import { DEFAULT_MAX_RECEIVE_MESSAGE_BYTES } from './archive-wire.js';
import type { ArchiveServiceClient } from './generated/airlift/data/v1/ArchiveService.js';
import type { PingReply__Output } from './generated/airlift/data/v1/PingReply.js';

/** Channel settings for a data-plane client. */
export interface ArchiveClientOptions {
  /** Largest message accepted; must exceed the server's chunk size. */
  readonly maxReceiveMessageSize?: number;
  /** HTTP/2 flow-control window in bytes; grpc-js defaults to 64 KiB. */
  readonly flowControlWindow?: number;
}

/** A client for the ArchiveService at `host:port`; close() it when done. */
export function createArchiveClient(
  address: string,
  options: ArchiveClientOptions = {},
): ArchiveServiceClient {
  const channelOptions: ChannelOptions = {
    'grpc.max_receive_message_length': options.maxReceiveMessageSize ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
  };
  if (options.flowControlWindow !== undefined) {
    channelOptions['grpc-node.flow_control_window'] = options.flowControlWindow;
  }
  const { ArchiveService } = archiveProto();
  // Plaintext for now: TLS and peer authentication on the data plane are a later issue. Integrity does
  // not depend on it: the fetcher checks every archive against the digest the job announced.
  return new ArchiveService(address, credentials.createInsecure(), channelOptions);
}

/** Options for pingArchiveServer. */
export interface PingOptions {
  readonly node?: string;
  readonly timeoutMs?: number;
}

/** Asks the server at `address` for its version and clock; rejects with the grpc-js ServiceError. */
export async function pingArchiveServer(
  address: string,
  options: PingOptions = {},
): Promise<PingReply__Output> {
  const client = createArchiveClient(address);
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
