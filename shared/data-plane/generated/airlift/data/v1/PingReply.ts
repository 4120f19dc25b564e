// Original file: proto/airlift/data/v1/archive.proto

import type { Long } from '@grpc/proto-loader';

export interface PingReply {
  /**
   * airlift version of the server.
   */
  version?: string;
  /**
   * Server wall clock, Unix milliseconds: lets an agent spot a badly skewed clock.
   */
  timeUnixMs?: number | string | Long;
  /**
   * How many archives the server serves right now.
   */
  archiveCount?: number;
  /**
   * The piece stream's port: preflight checks it is reachable too.
   */
  pieceStreamPort?: number;
}

export interface PingReply__Output {
  /**
   * airlift version of the server.
   */
  version: string;
  /**
   * Server wall clock, Unix milliseconds: lets an agent spot a badly skewed clock.
   */
  timeUnixMs: number;
  /**
   * How many archives the server serves right now.
   */
  archiveCount: number;
  /**
   * The piece stream's port: preflight checks it is reachable too.
   */
  pieceStreamPort: number;
}
