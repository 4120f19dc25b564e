import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { copyToNodes } from './link-copy.js';
import { cpuSecondsOf } from './proc-tree.js';
import { measurePhase } from './measure.js';
import type { PhaseResult } from './measure.js';
import { importEverywhere, startRuntimes, stopRuntimes } from './node-runtimes.js';
import { importTimeoutMs, linkSeconds } from './step.js';
import type { StepContext } from './step.js';

/**
 * T_floor(N) = max(S / B, the time N nodes take to import a local copy of the archive all at once). No
 * distribution can beat either term: each node must receive S bytes over its link (and the coordinator
 * send S over its own), and this machine must run N imports. Both terms are measured here. The link
 * term is one plain TCP copy of images.tar from the coordinator to one node, alone on the network: what
 * a link of rate B carries S in, Ethernet, IP and TCP headers included (the nominal S / B, payload
 * only, is reported beside it). The import term: N fresh containerd on tmpfs import the same local
 * archive at once (per-node copies would read the same RAM pages as the one shared file does, on tmpfs).
 */
export async function runFloor(step: StepContext): Promise<PhaseResult> {
  const { options, archive } = step;
  const nominalLink = linkSeconds(archive.sizeBytes, Math.min(options.rateMbit, options.coordinatorRateMbit));
  const copyPath = join(step.data.path, 'floor-copy.tar');
  let linkTerm: number;
  try {
    const copy = await copyToNodes(step, [0], () => copyPath);
    linkTerm = copy.transferSeconds[0] ?? copy.slowestSeconds;
  } finally {
    await rm(copyPath, { force: true });
  }
  const runtimes = await startRuntimes(step.nodeCount, step.data.path);
  try {
    return await measurePhase('floor', undefined, async (probe) => {
      for (const runtime of runtimes) probe.watch('node', runtime.pid);
      // What a plain import costs, for the per-node CPU goal: containerd's own, and ctr's (the ctr
      // processes are this process's children, reaped by the time the import returns).
      const containerdCpu = (): number =>
        runtimes.reduce((sum, runtime) => sum + (cpuSecondsOf(runtime.pid)?.self ?? 0), 0);
      const ctrCpu = (): number => cpuSecondsOf(process.pid)?.children ?? 0;
      const before = { containerd: containerdCpu(), ctr: ctrCpu() };
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
          nominalLinkSeconds: nominalLink,
          importSeconds: imported.slowestSeconds,
          fastestImportSeconds: Math.min(...imported.perNodeSeconds),
          cpuImportContainerdSeconds: round2(containerdCpu() - before.containerd),
          cpuImportCtrSeconds: round2(ctrCpu() - before.ctr),
        },
      };
    });
  } finally {
    await stopRuntimes(runtimes);
  }
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
