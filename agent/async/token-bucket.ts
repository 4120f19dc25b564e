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

/** Parses `50MB/s`, `200Mbit/s`, `10MiB/s`, `1GB/s` or a plain number of bytes per second. */
export function parseRate(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(|B|KB|MB|GB|KiB|MiB|GiB|kbit|Mbit|Gbit)(?:\/s)?$/i.exec(text.trim());
  if (m?.[1] === undefined) return undefined;
  const unit = (m[2] ?? '').toLowerCase();
  const factor: Record<string, number> = {
    '': 1,
    b: 1,
    kb: 1e3,
    mb: 1e6,
    gb: 1e9,
    kib: 1024,
    mib: 1024 ** 2,
    gib: 1024 ** 3,
    kbit: 1e3 / 8,
    mbit: 1e6 / 8,
    gbit: 1e9 / 8,
  };
  const value = Number(m[1]) * (factor[unit] ?? NaN);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
