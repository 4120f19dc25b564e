// Original file: proto/airlift/data/v1/archive.proto

export interface PingRequest {
  /**
   * Who asks, for logs.
   */
  node?: string;
}

export interface PingRequest__Output {
  /**
   * Who asks, for logs.
   */
  node: string;
}
