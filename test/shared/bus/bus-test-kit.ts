import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

import { pino } from 'pino';
import type { Logger } from 'pino';

/** A queue of values pushed by callbacks, read in order by the test with a deadline. */
export interface Inbox<T> {
  // Properties, not methods: tests pass `inbox.push` straight to the bus as a callback.
  readonly push: (value: T) => void;
  /** The next value; rejects naming `what` when none arrives within timeoutMs. */
  readonly next: (what: string, timeoutMs?: number) => Promise<T>;
  /** Everything pushed so far and not read. */
  readonly pending: () => readonly T[];
}

/** Creates an Inbox. */
export function inbox<T>(): Inbox<T> {
  const queue: T[] = [];
  const waiters: ((value: T) => void)[] = [];
  return {
    push(value) {
      const waiter = waiters.shift();
      if (waiter === undefined) queue.push(value);
      else waiter(value);
    },
    async next(what, timeoutMs = 5_000) {
      if (queue.length > 0) return queue.shift() as T;
      let waiter: ((value: T) => void) | undefined;
      const arrived = new Promise<T>((resolve) => {
        waiter = resolve;
        waiters.push(resolve);
      });
      const timer = new AbortController();
      try {
        return await Promise.race([
          arrived,
          sleep(timeoutMs, undefined, { signal: timer.signal }).then(() => {
            throw new Error(`no ${what} within ${timeoutMs} ms`);
          }),
        ]);
      } finally {
        timer.abort();
        const index = waiter === undefined ? -1 : waiters.indexOf(waiter);
        if (index !== -1) waiters.splice(index, 1);
      }
    },
    pending: () => [...queue],
  };
}

/** A pino logger at trace level whose output the test can read back. */
export function capturedLogger(): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, sink), text: () => chunks.join('') };
}

/** A TCP port on 127.0.0.1 nobody listens on right now. */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** Polls until `check` is true; throws naming `what` after timeoutMs. */
export async function eventually(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

export const text = (value: string): Uint8Array => new TextEncoder().encode(value);
export const str = (value: Uint8Array): string => new TextDecoder().decode(value);
