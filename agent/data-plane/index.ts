export { fetchArchive, DEFAULT_FETCH_BUFFER_BYTES, type FetchArchiveOptions } from './archive-fetcher.js';
export {
  receivePieces,
  type PieceTarget,
  type ReceiveOptions,
  type ReceiveReport,
} from './piece-receiver.js';
