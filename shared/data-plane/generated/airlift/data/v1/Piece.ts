// Original file: proto/airlift/data/v1/archive.proto

export interface Piece {
  index?: number;
  data?: Buffer | Uint8Array | string;
}

export interface Piece__Output {
  index: number;
  data: Buffer;
}
