import { readFileSync } from 'node:fs';

import { treeCpuTicks } from './proc-tree.js';

/** CPU use over one phase, in % of all cores (100 = every core busy the whole time). */
export interface CpuUse {
  readonly cores: number;
  /** The whole machine, whoever runs: the question is whether the machine was the bottleneck. */
  readonly meanPct: number;
  /** The busiest sampling interval. */
  readonly peakPct: number;
  /**
   * This bench's own process tree (containerds, agents, copy processes, ctr), so work of anything else
   * running on the machine at the same time can be told apart. Kernel network work done in softirq
   * context is charged to whichever process it interrupts, so it may land on either side.
   */
  readonly benchMeanPct: number;
  readonly benchPeakPct: number;
  readonly intervalMs: number;
}

/** A running sampler; stop() ends it and summarises. */
export interface CpuSampler {
  stop(): CpuUse;
}

interface Snapshot {
  readonly busy: number;
  readonly total: number;
  readonly bench: number;
}

/** Samples the aggregate `cpu` line of /proc/stat and this process's tree every intervalMs. */
export function startCpuSampler(intervalMs = 500): CpuSampler {
  const cores = readCpuLines().length - 1;
  const first = snapshot();
  let previous = first;
  let peak = 0;
  let benchPeak = 0;
  const timer = setInterval(() => {
    const now = snapshot();
    peak = Math.max(peak, share(previous, now, 'busy'));
    benchPeak = Math.max(benchPeak, share(previous, now, 'bench'));
    previous = now;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const last = snapshot();
      // A phase shorter than one interval still gets a peak: its only interval.
      return {
        cores,
        meanPct: round(share(first, last, 'busy')),
        peakPct: round(Math.max(peak, share(previous, last, 'busy'))),
        benchMeanPct: round(share(first, last, 'bench')),
        benchPeakPct: round(Math.max(benchPeak, share(previous, last, 'bench'))),
        intervalMs,
      };
    },
  };
}

function share(from: Snapshot, to: Snapshot, field: 'busy' | 'bench'): number {
  const total = to.total - from.total;
  // Capped: a child reaped between two samples moves its whole lifetime into the parent's counters.
  return total <= 0 ? 0 : Math.min(100, Math.max(0, ((to[field] - from[field]) / total) * 100));
}

function snapshot(): Snapshot {
  const [line = ''] = readCpuLines();
  // cpu user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total, bench: treeCpuTicks(process.pid) };
}

function readCpuLines(): string[] {
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('cpu'));
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
