// Original file: proto/airlift/data/v1/archive.proto

export interface FetchPiecesRequest {
  archiveId?: string;
  /**
   * First piece wanted; a receiver resumes from its first missing piece.
   */
  fromPiece?: number;
  /**
   * Who asks, for the server's logs and per-node accounting; not an authentication.
   */
  node?: string;
  runId?: string;
}

export interface FetchPiecesRequest__Output {
  archiveId: string;
  /**
   * First piece wanted; a receiver resumes from its first missing piece.
   */
  fromPiece: number;
  /**
   * Who asks, for the server's logs and per-node accounting; not an authentication.
   */
  node: string;
  runId: string;
}
