export { PieceStore, type PieceStoreHooks, type PieceStoreOptions } from './piece-store.js';
export { STREAM_CHUNK_BYTES } from './piece-stream.js';
