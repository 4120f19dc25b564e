// Original file: proto/airlift/data/v1/archive.proto

import type { Long } from '@grpc/proto-loader';

export interface ArchiveChunk {
  /**
   * Where data starts in the archive, so a receiver can check it got every byte in order.
   */
  offset?: number | string | Long;
  data?: Buffer | Uint8Array | string;
}

export interface ArchiveChunk__Output {
  /**
   * Where data starts in the archive, so a receiver can check it got every byte in order.
   */
  offset: number;
  data: Buffer;
}
