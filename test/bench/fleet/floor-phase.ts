import { measurePhase } from './measure.js';
import type { PhaseResult } from './measure.js';
import { importEverywhere, startRuntimes, stopRuntimes } from './node-runtimes.js';
import { importTimeoutMs, linkSeconds } from './step.js';
import type { StepContext } from './step.js';

/**
 * T_floor(N) = max(S / B, the time N nodes take to import a local copy of the archive all at once). No
 * distribution can beat either term: each node must receive S bytes over its link (and the coordinator
 * send S over its own), and this machine must run N imports. The second term is measured here: N fresh
 * containerd on tmpfs import the same local archive at once. (Per-node copies would read the same RAM
 * pages as the one shared file does, on tmpfs.)
 */
export async function runFloor(step: StepContext): Promise<PhaseResult> {
  const { options, archive } = step;
  const linkTerm = linkSeconds(archive.sizeBytes, Math.min(options.rateMbit, options.coordinatorRateMbit));
  const runtimes = await startRuntimes(step.nodeCount, step.data.path);
  try {
    return await measurePhase('floor', undefined, async (probe) => {
      for (const runtime of runtimes) probe.watch('node', runtime.pid);
      const imported = await importEverywhere(
        runtimes,
        () => archive.imagesTarPath,
        archive.references,
        importTimeoutMs(step),
      );
      return {
        seconds: Math.max(linkTerm, imported.slowestSeconds),
        detail: {
          linkSeconds: linkTerm,
          importSeconds: imported.slowestSeconds,
          fastestImportSeconds: Math.min(...imported.perNodeSeconds),
        },
      };
    });
  } finally {
    await stopRuntimes(runtimes);
  }
}
