import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { execa } from 'execa';

import { waitUntilReady } from '../../helpers/daemon-process.js';
import { spawnInNamespace } from '../../helpers/netns.js';
import { measurePhase } from './measure.js';
import type { PhaseResult } from './measure.js';
import { importEverywhere, startRuntimes, stopRuntimes, timeInParallel } from './node-runtimes.js';
import { importTimeoutMs, linkSeconds, timeoutFor } from './step.js';
import type { StepContext } from './step.js';

const COPY_SERVER = fileURLToPath(new URL('./copy-server.js', import.meta.url));
const COPY_CLIENT = fileURLToPath(new URL('./copy-client.js', import.meta.url));

/**
 * The manual procedure as an scp/Ansible loop runs it: copy the whole images.tar from the coordinator to
 * every node in parallel, through the shaped links, then, once every copy is done (Ansible's linear
 * strategy finishes a task on all hosts before the next), `ctr images import` on every node at once.
 * Time: the slowest copy plus the slowest import. Includes starting the copy clients (tens of ms), as
 * scp would include its ssh handshake.
 */
export async function runBaseline(step: StepContext): Promise<PhaseResult> {
  const { network, archive, options, nodeCount } = step;
  const copies = network.nodes.map((_, i) => join(step.data.path, `copy-${i}.tar`));
  const copyTimeout = timeoutFor(linkSeconds(archive.sizeBytes * nodeCount, options.coordinatorRateMbit));
  const runtimes = await startRuntimes(nodeCount, step.data.path);
  try {
    return await measurePhase('baseline', network, async (probe) => {
      const coordinator = network.coordinator;
      const server = spawnInNamespace(coordinator, {
        name: 'copy-server',
        command: process.execPath,
        args: [COPY_SERVER, coordinator.ip, archive.imagesTarPath],
        logFile: join(step.data.path, 'copy-server.log'),
      });
      try {
        probe.watch('coordinator', server.pid);
        await waitUntilReady(server, {
          waitingFor: 'copy-server to listen',
          timeoutMs: 15_000,
          check: () => Promise.resolve(/ready \d+/.test(server.logs())),
        });
        const port = /ready (\d+)/.exec(server.logs())?.[1] ?? '0';
        const copy = await timeInParallel(
          network.nodes.map((node, i) => async () => {
            const [ip = 'ip', ...prefix] = node.prefix;
            const out = copies[i] ?? '';
            const client = execa(ip, [...prefix, process.execPath, COPY_CLIENT, coordinator.ip, port, out], {
              timeout: copyTimeout,
            });
            if (client.pid !== undefined) probe.watch('node', client.pid);
            const { bytes } = JSON.parse((await client).stdout) as { bytes: number };
            if (bytes !== archive.sizeBytes)
              throw new Error(`node ${i} received ${bytes} of ${archive.sizeBytes} bytes`);
          }),
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
      } finally {
        await server.stop(5_000);
      }
    });
  } finally {
    await stopRuntimes(runtimes);
    await Promise.all(copies.map((path) => rm(path, { force: true })));
    await rm(join(step.data.path, 'copy-server.log'), { force: true });
  }
}
