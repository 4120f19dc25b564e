// `npm run demo`: what airlift does on one node, shown on this machine with real runtimes and no cluster.
// It starts a containerd and a Docker engine of its own in temp dirs, writes a sample kairship bundle,
// runs the real `airlift` CLI against each runtime, and stops everything it started.
import { execa } from 'execa';
import { startContainerd, type ContainerdInstance } from '../helpers/containerd-instance.js';
import { startDockerd, type DockerdInstance } from '../helpers/dockerd-instance.js';
import { writeSampleBundle } from '../helpers/fixtures/index.js';
import { AIRLIFT_BIN } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const REGISTRY = '10.16.10.111';

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

async function airlift(args: string[]): Promise<number> {
  say(`\n$ airlift ${args.join(' ')}`);
  const run = await execa(process.execPath, [AIRLIFT_BIN, ...args], {
    reject: false,
    stdio: 'inherit',
    timeout: 300_000,
  });
  return run.exitCode ?? 1;
}

async function main(): Promise<number> {
  const work = makeTempDir('airlift-demo');
  let ctrd: ContainerdInstance | undefined;
  let dockerd: DockerdInstance | undefined;
  const stop = async (): Promise<void> => {
    await Promise.allSettled([ctrd?.stop(), dockerd?.stop()]);
    await work.remove();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(143)));
  try {
    say(
      "airlift demo: one node's job (load, retag, verify) on this machine. No Kubernetes cluster is needed or",
    );
    say('touched: the runtimes below are private instances in temp dirs, stopped at the end.\n');
    say(
      '1. Writing a sample offline bundle laid out as charts-syncer writes it (hints.yaml, original-chart/, images.tar)…',
    );
    const bundle = await writeSampleBundle(work.path, { layerBytes: 256 * 1024 });
    say(`   ${bundle.path}`);
    say('2. Starting a private containerd and a private Docker engine…');
    [ctrd, dockerd] = await Promise.all([
      startContainerd({ dirPrefix: 'airlift-demo-ctrd' }),
      startDockerd({ dirPrefix: 'airlift-demo-dockerd' }),
    ]);
    say(`   containerd at ${ctrd.address}`);
    say(`   dockerd    at ${dockerd.host}`);

    const codes: number[] = [];
    codes.push(await airlift(['bundle', 'inspect', bundle.path]));
    codes.push(
      await airlift([
        'node',
        'load',
        bundle.path,
        '--image-registry',
        REGISTRY,
        '--runtime',
        'containerd',
        '--containerd-address',
        ctrd.address,
        '--node',
        'demo-containerd-node',
      ]),
    );
    codes.push(
      await airlift([
        'node',
        'load',
        bundle.path,
        '--image-registry',
        REGISTRY,
        '--runtime',
        'docker',
        '--docker-host',
        dockerd.host,
        '--node',
        'demo-docker-node',
      ]),
    );
    say(
      '\nRunning the containerd node again: every image is already there and verified, so the load is skipped.',
    );
    codes.push(
      await airlift([
        'node',
        'load',
        bundle.path,
        '--image-registry',
        REGISTRY,
        '--runtime',
        'containerd',
        '--containerd-address',
        ctrd.address,
        '--node',
        'demo-containerd-node',
      ]),
    );
    const failed = codes.filter((code) => code !== 0).length;
    say(
      failed === 0
        ? '\ndemo: every step succeeded.'
        : `\ndemo: ${failed} step(s) failed (exit codes ${codes.join(', ')}).`,
    );
    return failed === 0 ? 0 : 1;
  } finally {
    say('Stopping the demo runtimes and removing their temp dirs…');
    await stop();
  }
}

process.exitCode = await main();
