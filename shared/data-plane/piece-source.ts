import { PieceBufferPool } from '../pieces/index.js';
import type { ByteSource } from '../tar/index.js';

/** Pieces of one archive as a server offers them; a peer's pieces may still be arriving. */
export interface PieceSource {
  readonly pieceCount: number;
  /** The bytes of piece `index`, once this node holds it (waits while it is still arriving). */
  piece(index: number, signal: AbortSignal): Promise<Buffer>;
  /** `data`, from piece(), has been sent and is not referenced any more: its buffer may be reused. */
  release?(data: Buffer): void;
}

/** Piece buffers kept for reuse per source: enough for a few streams at once, bounded in memory. */
const POOLED_BUFFERS = 4;

/**
 * All pieces of an archive the server holds whole (the coordinator's bundle file). A file's pieces are
 * read into reused buffers (PieceBufferPool), which release() gives back once the socket sent them.
 */
export function wholeArchivePieces(source: ByteSource, pieceSize: number): PieceSource {
  const pool = new PieceBufferPool(pieceSize, POOLED_BUFFERS);
  return {
    pieceCount: Math.ceil(source.size / pieceSize),
    piece: async (index) => {
      const offset = index * pieceSize;
      const length = Math.min(pieceSize, source.size - offset);
      if (source.readInto === undefined) return source.read(offset, length);
      const target = pool.take(length);
      try {
        const data = await source.readInto(target, offset, length);
        // A source may answer with bytes of its own (a view of memory): the buffer was not needed.
        if (data.buffer !== target.buffer) pool.give(target);
        return data;
      } catch (err) {
        pool.give(target);
        throw err;
      }
    },
    release: (data) => {
      pool.give(data);
    },
  };
}
