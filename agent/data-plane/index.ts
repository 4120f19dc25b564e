export {
  receivePieces,
  type PieceTarget,
  type ReceiveOptions,
  type ReceiveReport,
} from './piece-receiver.js';
