import { FrameParser, type FramedPiece } from '../../shared/data-plane/piece-frames.js';

/**
 * The pieces in `chunks` (a socket read the plain way, or test data), through the product's
 * FrameParser: each chunk is copied into the parser's targets as a socket's onread would fill them.
 * Throws what the parser throws, and BadFrameError when the chunks end before the end frame.
 */
export async function* readFrames(
  chunks: AsyncIterable<Buffer>,
  maxPieceBytes: number,
): AsyncGenerator<FramedPiece> {
  const parser = new FrameParser(maxPieceBytes);
  for await (const chunk of chunks) {
    let at = 0;
    while (at < chunk.length) {
      const target = parser.target();
      const length = chunk.copy(target, 0, at, Math.min(chunk.length, at + target.length));
      at += length;
      const piece = parser.filled(length);
      if (piece !== undefined) yield piece;
    }
    if (parser.ended) return;
  }
  parser.finish();
}
