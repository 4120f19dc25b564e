export {
  DEFAULT_PIECE_SIZE,
  MIN_PIECE_SIZE,
  MAX_PIECE_SIZE,
  archiveIdOf,
  buildPieceManifest,
  isValidPieceSize,
  parsePieceManifest,
  pieceCount,
  pieceManifestSchema,
  pieceRange,
  toWirePieceManifest,
  wirePieceManifestSchema,
  type PieceManifest,
  type WirePieceManifest,
  type PieceRange,
} from './piece-manifest.js';
export { PieceBufferPool } from './piece-buffer-pool.js';
