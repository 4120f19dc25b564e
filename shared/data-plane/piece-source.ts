import type { ByteSource } from '../tar/index.js';

/** Pieces of one archive as a server offers them; a peer's pieces may still be arriving. */
export interface PieceSource {
  readonly pieceCount: number;
  /** The bytes of piece `index`, once this node holds it (waits while it is still arriving). */
  piece(index: number, signal: AbortSignal): Promise<Buffer>;
}

/** All pieces of an archive the server holds whole (the coordinator's bundle file). */
export function wholeArchivePieces(source: ByteSource, pieceSize: number): PieceSource {
  const pieceCount = Math.ceil(source.size / pieceSize);
  return {
    pieceCount,
    piece: (index) => {
      const offset = index * pieceSize;
      return source.read(offset, Math.min(pieceSize, source.size - offset));
    },
  };
}
