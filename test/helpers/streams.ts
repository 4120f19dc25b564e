import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A stream that hands out `buffer` in `chunkSize` pieces, pausing between them, the way bytes
 * arrive from a network: proves a consumer works on partial input rather than a whole buffer.
 */
export function trickle(buffer: Buffer, chunkSize: number, pauseMs = 0): Readable {
  return Readable.from(
    (async function* () {
      for (let at = 0; at < buffer.length; at += chunkSize) {
        if (pauseMs > 0) await sleep(pauseMs);
        yield buffer.subarray(at, at + chunkSize);
      }
    })(),
    { objectMode: false },
  );
}

/** A stream that delivers `prefix` and then fails, like a connection dropped mid-transfer. */
export function failingAfter(prefix: Buffer, error: Error): Readable {
  return Readable.from(
    (async function* () {
      yield prefix;
      await sleep(10);
      throw error;
    })(),
    { objectMode: false },
  );
}
