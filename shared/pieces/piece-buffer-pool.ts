/**
 * Piece-size buffers for reuse. A fresh multi-MiB buffer per piece costs more than the bytes in it:
 * page faults and zeroing on first touch (about 0.8 ms per MiB), and garbage that sets off a GC every
 * few pieces. A buffer given back is handed out again; the pool keeps at most `maxFree` idle ones.
 */
export class PieceBufferPool {
  private readonly free: Buffer[] = [];
  /** The whole buffer behind each one handed out and not given back yet, by its memory. */
  private readonly out = new WeakMap<ArrayBufferLike, Buffer>();

  constructor(
    private readonly size: number,
    private readonly maxFree: number,
  ) {}

  /** A buffer of `length` bytes, at most `size`. */
  take(length: number): Buffer {
    const whole = this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
    this.out.set(whole.buffer, whole);
    return whole.subarray(0, length);
  }

  /**
   * `bytes`, from take(), are not referenced any more: their buffer may carry other bytes. Bytes the
   * pool did not hand out, or already got back, are ignored, so no buffer is ever handed out twice.
   */
  give(bytes: Buffer): void {
    const whole = this.out.get(bytes.buffer);
    if (whole === undefined) return;
    this.out.delete(bytes.buffer);
    if (this.free.length < this.maxFree) this.free.push(whole);
  }

  /** Drops the idle buffers (the garbage collector takes them). */
  clear(): void {
    this.free.length = 0;
  }
}
