import { readFileSync } from 'node:fs';

import { childrenByParent, treeOf } from './proc-tree.js';

/** Peak memory of one group of process trees (e.g. "agent"), in bytes. */
export interface RssPeak {
  /** The largest single tree seen: the root and all its descendants, summed, at one sample. */
  readonly peakTreeBytes: number;
  /** The largest VmHWM of a root process: catches spikes between samples, for the root alone. */
  readonly peakRootHwmBytes: number;
  readonly roots: number;
}

/** Polls registered root pids; a root may be added whenever its process starts. */
export interface RssSampler {
  watch(group: string, pid: number): void;
  /** Ends polling and returns the peaks per group. */
  stop(): Record<string, RssPeak>;
}

/** Starts polling /proc every intervalMs; cheap enough at a few hundred processes. */
export function startRssSampler(intervalMs = 250): RssSampler {
  const roots = new Map<number, string>();
  const peaks = new Map<string, { tree: number; hwm: number; roots: Set<number> }>();
  const sample = (): void => {
    if (roots.size === 0) return;
    const children = childrenByParent();
    for (const [root, group] of roots) {
      const peak = peaks.get(group) ?? { tree: 0, hwm: 0, roots: new Set<number>() };
      peaks.set(group, peak);
      peak.roots.add(root);
      const status = readStatus(root);
      // A root that has exited keeps the peaks it reached; nothing more to read.
      if (status === undefined) continue;
      peak.hwm = Math.max(peak.hwm, status.hwm);
      let tree = 0;
      for (const pid of treeOf(root, children)) tree += readStatus(pid)?.rss ?? 0;
      peak.tree = Math.max(peak.tree, tree);
    }
  };
  const timer = setInterval(sample, intervalMs);
  return {
    watch(group, pid) {
      roots.set(pid, group);
      sample();
    },
    stop() {
      sample();
      clearInterval(timer);
      return Object.fromEntries(
        [...peaks].map(([group, peak]) => [
          group,
          { peakTreeBytes: peak.tree, peakRootHwmBytes: peak.hwm, roots: peak.roots.size },
        ]),
      );
    },
  };
}

function readStatus(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string): number =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
    return { rss: kib('VmRSS') * 1024, hwm: kib('VmHWM') * 1024 };
  } catch {
    return undefined;
  }
}
