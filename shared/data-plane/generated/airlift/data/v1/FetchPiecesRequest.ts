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
  /**
   * Every `stride`-th piece from `from_piece` on (0 and 1: every piece). A striped plan sends the
   * pieces of stripe s (index % k == s) down a tree of its own; the receiver asks with stride k.
   */
  stride?: number;
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
  /**
   * Every `stride`-th piece from `from_piece` on (0 and 1: every piece). A striped plan sends the
   * pieces of stripe s (index % k == s) down a tree of its own; the receiver asks with stride k.
   */
  stride: number;
}
