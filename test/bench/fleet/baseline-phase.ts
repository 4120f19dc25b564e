import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { copyToNodes } from './link-copy.js';
import { measurePhase } from './measure.js';
import type { PhaseResult } from './measure.js';
import { importEverywhere, startRuntimes, stopRuntimes } from './node-runtimes.js';
import { importTimeoutMs } from './step.js';
import type { StepContext } from './step.js';

/**
 * The manual procedure as an scp/Ansible loop runs it: copy the whole images.tar from the coordinator to
 * every node in parallel, through the shaped links, then, once every copy is done (Ansible's linear
 * strategy finishes a task on all hosts before the next), `ctr images import` on every node at once.
 * Time: the slowest copy plus the slowest import. Includes starting the copy clients (tens of ms), as
 * scp would include its ssh handshake.
 */
export async function runBaseline(step: StepContext): Promise<PhaseResult> {
  const { network, archive, nodeCount } = step;
  const copies = network.nodes.map((_, i) => join(step.data.path, `copy-${i}.tar`));
  const runtimes = await startRuntimes(nodeCount, step.data.path);
  try {
    return await measurePhase('baseline', network, async (probe) => {
      const copy = await copyToNodes(
        step,
        network.nodes.map((_, i) => i),
        (i) => copies[i] ?? '',
        probe,
      );
      const imported = await importEverywhere(
        runtimes,
        (i) => copies[i] ?? '',
        archive.references,
        importTimeoutMs(step),
      );
      return {
        seconds: copy.slowestSeconds + imported.slowestSeconds,
        detail: {
          copySeconds: copy.slowestSeconds,
          fastestCopySeconds: Math.min(...copy.perNodeSeconds),
          importSeconds: imported.slowestSeconds,
        },
      };
    });
  } finally {
    await stopRuntimes(runtimes);
    await Promise.all(copies.map((path) => rm(path, { force: true })));
  }
}
