import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { execa } from 'execa';

import { waitUntilReady } from '../../helpers/daemon-process.js';
import { spawnInNamespace } from '../../helpers/netns.js';
import type { PhaseProbe } from './measure.js';
import { timeInParallel } from './node-runtimes.js';
import { linkSeconds, timeoutFor } from './step.js';
import type { StepContext } from './step.js';

const COPY_SERVER = fileURLToPath(new URL('./copy-server.js', import.meta.url));
const COPY_CLIENT = fileURLToPath(new URL('./copy-client.js', import.meta.url));

/** How a plain TCP copy of images.tar from the coordinator went. */
export interface LinkCopy {
  /** From the common start to each node's last byte, client process start included (as scp's handshake). */
  readonly perNodeSeconds: readonly number[];
  readonly slowestSeconds: number;
  /** Each client's own connect-to-last-byte time: what the links alone took. */
  readonly transferSeconds: readonly number[];
}

/**
 * Copies images.tar whole from the coordinator's namespace to nodes `targets` at once, through the shaped
 * links, into `outFor(i)`: plain TCP, no ssh, so the link is all that limits it. Checks every copy's size.
 */
export async function copyToNodes(
  step: StepContext,
  targets: readonly number[],
  outFor: (node: number) => string,
  probe?: PhaseProbe,
): Promise<LinkCopy> {
  const { network, archive, options } = step;
  const coordinator = network.coordinator;
  const copyTimeout = timeoutFor(
    linkSeconds(archive.sizeBytes * targets.length, options.coordinatorRateMbit),
  );
  const serverLog = join(step.data.path, 'copy-server.log');
  const server = spawnInNamespace(coordinator, {
    name: 'copy-server',
    command: process.execPath,
    args: [COPY_SERVER, coordinator.ip, archive.imagesTarPath],
    logFile: serverLog,
  });
  try {
    probe?.watch('coordinator', server.pid);
    await waitUntilReady(server, {
      waitingFor: 'copy-server to listen',
      timeoutMs: 15_000,
      check: () => Promise.resolve(/ready \d+/.test(server.logs())),
    });
    const port = /ready (\d+)/.exec(server.logs())?.[1] ?? '0';
    const transferSeconds: number[] = [];
    const timing = await timeInParallel(
      targets.map((i) => async () => {
        const node = network.nodes[i];
        if (node === undefined) throw new Error(`no node ${i} in this fleet`);
        const [ip = 'ip', ...prefix] = node.prefix;
        const client = execa(
          ip,
          [...prefix, process.execPath, COPY_CLIENT, coordinator.ip, port, outFor(i)],
          {
            timeout: copyTimeout,
          },
        );
        if (client.pid !== undefined) probe?.watch('node', client.pid);
        const { bytes, seconds } = JSON.parse((await client).stdout) as { bytes: number; seconds: number };
        if (bytes !== archive.sizeBytes)
          throw new Error(`node ${i} received ${bytes} of ${archive.sizeBytes} bytes`);
        transferSeconds.push(seconds);
      }),
    );
    return { ...timing, transferSeconds };
  } finally {
    await server.stop(5_000);
    await rm(serverLog, { force: true });
  }
}
