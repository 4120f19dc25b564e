import type { Socket } from 'node:net';
import type { FrameParser, FramedPiece } from './piece-frames.js';

// Pieces parsed but not yet taken by the consumer before the socket stops reading: enough to keep
// the consumer busy while the next arrives, few enough that a slow disk holds little memory.
const PAUSE_AT = 4;
const RESUME_AT = 1;

/**
 * Hands the pieces a socket's onread callbacks parse to an async consumer, in order: it pauses the
 * socket while the consumer lags PAUSE_AT pieces behind, and ends with the stream's error, or with
 * BadFrameError when the stream closed before its end frame. Pieces parsed before an error are
 * still handed over first.
 */
export class PieceInbox {
  readonly #queue: FramedPiece[] = [];
  #failure: Error | undefined;
  #wake: (() => void) | undefined;
  #socket: Socket | undefined;

  constructor(private readonly parser: FrameParser) {}

  /** Watches `socket`'s end: an error it dies of, or a close before the parser saw the end frame. */
  attach(socket: Socket): void {
    this.#socket = socket;
    socket.once('error', (err) => {
      this.#fail(err);
    });
    socket.once('close', () => {
      // finish() throws unless the end frame came: a close without a failure is a complete stream.
      try {
        this.parser.finish();
      } catch (err) {
        this.#fail(err);
      }
      this.#notify();
    });
  }

  /** The onread callback: `length` bytes landed in the parser's target(). False stops reading. */
  received(length: number): boolean {
    const { parser } = this;
    if (this.#failure !== undefined) return false;
    try {
      const piece = parser.filled(length);
      if (piece !== undefined) {
        this.#queue.push(piece);
        if (this.#queue.length >= PAUSE_AT) this.#socket?.pause();
        this.#notify();
      } else if (parser.ended) {
        this.#notify();
      }
      return true;
    } catch (err) {
      this.#fail(err);
      this.#socket?.destroy();
      return false;
    }
  }

  /** Every piece in order; returns after the end frame, throws what ended the stream otherwise. */
  async *pieces(): AsyncGenerator<FramedPiece> {
    for (;;) {
      const piece = this.#queue.shift();
      if (piece !== undefined) {
        if (this.#queue.length <= RESUME_AT && this.#socket?.isPaused() === true) this.#socket.resume();
        yield piece;
        continue;
      }
      if (this.#failure !== undefined) throw this.#failure;
      if (this.parser.ended) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #fail(err: unknown): void {
    this.#failure ??= err instanceof Error ? err : new Error(String(err));
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
