import { execa } from 'execa';

import { startContainerd } from '../../helpers/containerd-instance.js';
import type { ContainerdInstance } from '../../helpers/containerd-instance.js';
import { requireBinary } from '../../helpers/host-prereqs.js';

/** Starts one fresh containerd per node, all on `parentDir` (a tmpfs); stops them all if one fails. */
export async function startRuntimes(count: number, parentDir: string): Promise<ContainerdInstance[]> {
  // Short prefixes: the socket path inside the tmpfs dir must stay under 108 bytes. An idle containerd's
  // GC scheduler wakes ~100 times a second by default: 16 of them took ~0.3 CPU-s/s of this shared
  // machine, a cost each real node pays on its own CPU (docs/benchmarks.md).
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      startContainerd({
        parentDir,
        dirPrefix: `n${i}`,
        readyTimeoutMs: 60_000,
        logLevel: 'warn',
        gcPauseThreshold: 0.001,
      }),
    ),
  );
  const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    await stopRuntimes(running);
    throw failed.reason;
  }
  return running;
}

export async function stopRuntimes(runtimes: readonly ContainerdInstance[]): Promise<void> {
  await Promise.allSettled(runtimes.map((runtime) => runtime.stop()));
}

/** Seconds each node took, counted from one common start, and the slowest. */
export interface ParallelTiming {
  readonly perNodeSeconds: readonly number[];
  readonly slowestSeconds: number;
}

/**
 * Runs `ctr -n k8s.io images import FILE` in every runtime at once, the manual procedure's command, each
 * from its own file (archiveFor(i)), then checks every reference is listed. Times until the slowest ends.
 */
export async function importEverywhere(
  runtimes: readonly ContainerdInstance[],
  archiveFor: (index: number) => string,
  references: readonly string[],
  timeoutMs: number,
): Promise<ParallelTiming> {
  const ctr = requireBinary('ctr');
  return timeInParallel(
    runtimes.map((runtime, i) => async () => {
      const global = ['-a', runtime.address, '-n', 'k8s.io'];
      await execa(ctr, [...global, 'images', 'import', archiveFor(i)], { timeout: timeoutMs });
      const listed = await execa(ctr, [...global, 'images', 'ls', '-q'], { timeout: 30_000 });
      const present = new Set(listed.stdout.split('\n'));
      const missing = references.filter((reference) => !present.has(reference));
      if (missing.length > 0) throw new Error(`node ${i} lacks ${missing.join(', ')} after import`);
    }),
  );
}

/** Starts every task at once and times each from the common start. */
export async function timeInParallel(tasks: readonly (() => Promise<void>)[]): Promise<ParallelTiming> {
  const started = performance.now();
  const perNodeSeconds = await Promise.all(
    tasks.map(async (task) => {
      await task();
      return (performance.now() - started) / 1000;
    }),
  );
  return { perNodeSeconds, slowestSeconds: Math.max(...perNodeSeconds) };
}
