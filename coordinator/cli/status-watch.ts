import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Calls `tick` now and then every `intervalMs` (measured from the end of the previous tick, so a slow
 * registry never stacks ticks) until SIGINT or SIGTERM; resolves once stopped, listeners removed.
 */
export async function repeatUntilSignal(intervalMs: number, tick: () => Promise<void>): Promise<void> {
  const stop = new AbortController();
  const onSignal = (): void => {
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    while (!stop.signal.aborted) {
      await tick();
      await sleep(intervalMs, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
