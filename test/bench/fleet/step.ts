import type { NodeNetwork } from '../../helpers/netns.js';
import type { Tmpfs } from '../../helpers/tmpfs.js';
import type { BenchArchive } from './bench-archive.js';
import type { BenchOptions } from './options.js';

/** One fleet size of the sweep: what every phase of it shares. */
export interface StepContext {
  readonly options: BenchOptions;
  readonly nodeCount: number;
  readonly network: NodeNetwork;
  /** Where node runtimes and received copies live; emptied between phases. */
  readonly data: Tmpfs;
  readonly archive: BenchArchive;
}

/** Seconds to move `bytes` at `mbit` (10^6 bit/s): the payload alone, no framing. */
export function linkSeconds(bytes: number, mbit: number): number {
  return (bytes * 8) / (mbit * 1e6);
}

/** A generous bound for an operation expected to take `seconds`: never what stops a healthy run. */
export function timeoutFor(seconds: number): number {
  return Math.ceil((3 * seconds + 120) * 1000);
}

/** Import of the archive by every node at once: bounded, and far above what 2 cores need. */
export function importTimeoutMs(step: StepContext): number {
  const totalMiB = (step.archive.sizeBytes * step.nodeCount) / (1024 * 1024);
  // 10 MiB/s for all imports together is several times slower than measured (docs/benchmarks.md).
  return timeoutFor(totalMiB / 10);
}
