// Original file: proto/airlift/data/v1/archive.proto

export interface PieceStreamTicket {
  /**
   * The piece stream's port, on the host the caller dialled for this call.
   */
  port?: number;
  /**
   * Random, single use; the first 32 bytes the caller sends on the piece stream.
   */
  ticket?: Buffer | Uint8Array | string;
}

export interface PieceStreamTicket__Output {
  /**
   * The piece stream's port, on the host the caller dialled for this call.
   */
  port: number;
  /**
   * Random, single use; the first 32 bytes the caller sends on the piece stream.
   */
  ticket: Buffer;
}
