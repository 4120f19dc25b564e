// Original file: proto/airlift/data/v1/archive.proto

import type { Long } from '@grpc/proto-loader';

export interface FetchRequest {
  /**
   * Lowercase sha256 hex of the archive's bytes.
   */
  archiveId?: string;
  /**
   * First byte wanted; resuming a transfer asks again from the first byte not yet verified.
   */
  offset?: number | string | Long;
  /**
   * Bytes wanted from offset; 0 means through the end of the archive.
   */
  length?: number | string | Long;
  /**
   * Who asks, for the server's logs and per-node accounting; not an authentication.
   */
  node?: string;
  /**
   * The rollout run this transfer belongs to, for logs.
   */
  runId?: string;
}

export interface FetchRequest__Output {
  /**
   * Lowercase sha256 hex of the archive's bytes.
   */
  archiveId: string;
  /**
   * First byte wanted; resuming a transfer asks again from the first byte not yet verified.
   */
  offset: number;
  /**
   * Bytes wanted from offset; 0 means through the end of the archive.
   */
  length: number;
  /**
   * Who asks, for the server's logs and per-node accounting; not an authentication.
   */
  node: string;
  /**
   * The rollout run this transfer belongs to, for logs.
   */
  runId: string;
}
