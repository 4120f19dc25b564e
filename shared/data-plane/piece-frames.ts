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

/** Where a stream's next bytes go, and what they completed: the piece stream's receiving end. */
export interface FrameSink {
  /** The bytes the next read may fill: the rest of a header, or the rest of a piece's body. */
  target(): Buffer;
  /** `length` bytes were written at the start of target(); the piece they completed, if any. */
  filled(length: number): FramedPiece | undefined;
}

/**
 * Parses a stream of frames in place: the socket reads each piece's body straight into the buffer
 * from `allocate` (a fresh one by default), so a piece is copied once, from the TLS layer's
 * cleartext into its buffer, and no chunk is allocated per read. A frame longer than
 * `maxPieceBytes` is refused before anything is allocated; a byte after the end frame, and a stream
 * that stops before it (finish()), throw BadFrameError. The caller closes the stream on any of them.
 */
export class FrameParser implements FrameSink {
  #header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  #headerFill = 0;
  #body: Buffer | undefined;
  #bodyFill = 0;
  #index = 0;
  #ended = false;
  // Offered once the end frame is in: any byte that lands there is a protocol error.
  readonly #overflow = Buffer.allocUnsafe(1);

  constructor(
    private readonly maxPieceBytes: number,
    private readonly allocate: (length: number) => Buffer = (length) => Buffer.allocUnsafe(length),
  ) {}

  /** True once the end frame came: every piece the server was asked for was sent. */
  get ended(): boolean {
    return this.#ended;
  }

  target(): Buffer {
    if (this.#ended) return this.#overflow;
    if (this.#body !== undefined) return this.#body.subarray(this.#bodyFill);
    return this.#header.subarray(this.#headerFill);
  }

  filled(length: number): FramedPiece | undefined {
    if (length === 0) return undefined;
    if (this.#ended) throw new BadFrameError('the piece stream goes on after its end frame');
    if (this.#body === undefined) return this.#headerFilled(length);
    this.#bodyFill += length;
    return this.#bodyFill === this.#body.length ? this.#takePiece() : undefined;
  }

  /** The stream ended: throws BadFrameError unless its end frame came. */
  finish(): void {
    if (this.#ended) return;
    if (this.#body !== undefined || this.#headerFill > 0) {
      throw new BadFrameError('the piece stream ended inside a frame');
    }
    throw new BadFrameError('the piece stream stopped before its end frame: the source failed or went away');
  }

  #headerFilled(length: number): FramedPiece | undefined {
    this.#headerFill += length;
    if (this.#headerFill < FRAME_HEADER_BYTES) return undefined;
    this.#headerFill = 0;
    this.#index = this.#header.readUInt32BE(0);
    const bodyLength = this.#header.readUInt32BE(4);
    if (this.#index === END_OF_PIECES) {
      if (bodyLength !== 0) throw new BadFrameError('the piece stream goes on after its end frame');
      this.#ended = true;
      return undefined;
    }
    if (bodyLength > this.maxPieceBytes) {
      throw new BadFrameError(
        `frame of piece ${this.#index} claims ${bodyLength} bytes, more than ${this.maxPieceBytes}`,
      );
    }
    this.#body = this.allocate(bodyLength);
    this.#bodyFill = 0;
    return bodyLength === 0 ? this.#takePiece() : undefined;
  }

  #takePiece(): FramedPiece {
    const data = this.#body ?? Buffer.alloc(0);
    this.#body = undefined;
    return { index: this.#index, data };
  }
}
