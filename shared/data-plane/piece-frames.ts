/** Bytes before each piece on the piece stream: its index and its length, both uint32 big-endian. */
export const FRAME_HEADER_BYTES = 8;

/**
 * The index of the last frame, with no bytes: the server sent every piece it was asked for. A stream
 * that stops without it was cut off (the source failed, or died), never complete.
 */
export const END_OF_PIECES = 0xffff_ffff;

/** The header of a frame carrying `length` bytes of piece `index`. */
export function frameHeader(index: number, length: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(index, 0);
  header.writeUInt32BE(length, 4);
  return header;
}

/** One piece as it came off the stream; its digest is not checked yet. */
export interface FramedPiece {
  readonly index: number;
  readonly data: Buffer;
}

/** A frame that cannot be a piece: the source is broken or lying, and the stream is dropped. */
export class BadFrameError extends Error {}

/**
 * The pieces in a byte stream of frames, up to its END_OF_PIECES frame. Each piece is copied once, from
 * the socket's chunks into a buffer from `allocate` (a fresh one by default); a frame longer than
 * `maxPieceBytes` is refused before anything is allocated. A stream that stops before its end frame
 * throws BadFrameError, as do bytes after it in the same chunk; the caller closes the stream.
 */
export async function* readFrames(
  chunks: AsyncIterable<Buffer>,
  maxPieceBytes: number,
  allocate: (length: number) => Buffer = (length) => Buffer.allocUnsafe(length),
): AsyncGenerator<FramedPiece> {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  let headerFill = 0;
  let body: Buffer | undefined;
  let bodyFill = 0;
  let index = 0;
  for await (const chunk of chunks) {
    let at = 0;
    while (at < chunk.length) {
      if (body === undefined) {
        const take = Math.min(FRAME_HEADER_BYTES - headerFill, chunk.length - at);
        chunk.copy(header, headerFill, at, at + take);
        headerFill += take;
        at += take;
        if (headerFill < FRAME_HEADER_BYTES) break;
        headerFill = 0;
        index = header.readUInt32BE(0);
        const length = header.readUInt32BE(4);
        if (index === END_OF_PIECES) {
          if (length !== 0 || at < chunk.length) {
            throw new BadFrameError('the piece stream goes on after its end frame');
          }
          return;
        }
        if (length > maxPieceBytes) {
          throw new BadFrameError(
            `frame of piece ${index} claims ${length} bytes, more than ${maxPieceBytes}`,
          );
        }
        body = allocate(length);
        bodyFill = 0;
      }
      const take = Math.min(body.length - bodyFill, chunk.length - at);
      chunk.copy(body, bodyFill, at, at + take);
      bodyFill += take;
      at += take;
      if (bodyFill === body.length) {
        const data = body;
        body = undefined;
        yield { index, data };
      }
    }
  }
  if (body !== undefined || headerFill > 0) {
    throw new BadFrameError('the piece stream ended inside a frame');
  }
  throw new BadFrameError('the piece stream stopped before its end frame: the source failed or went away');
}
