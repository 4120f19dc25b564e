import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A byte-rate limit (`--max-rate`): take(n) waits until n bytes fit under the rate. Burst is one
 * second's worth, so a limit holds over any window longer than a second.
 */
export class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(private readonly bytesPerSecond: number) {
    if (!(bytesPerSecond > 0)) throw new RangeError(`rate must be positive, got ${bytesPerSecond}`);
    this.tokens = bytesPerSecond;
  }

  /** Waits until `bytes` may pass; a request larger than the burst waits for its full share. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    this.refill();
    this.tokens -= bytes;
    if (this.tokens >= 0) return;
    const waitMs = (-this.tokens / this.bytesPerSecond) * 1000;
    await sleep(waitMs, undefined, signal === undefined ? {} : { signal });
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(
      this.bytesPerSecond,
      this.tokens + ((now - this.last) / 1000) * this.bytesPerSecond,
    );
    this.last = now;
  }
}
