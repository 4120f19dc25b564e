import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { ContainerdRuntime } from '../../../agent/index.js';
import { ContainerdApi, type ContainerdReader } from '../../../agent/runtime/containerd-api.js';
import { ExecaRunner, type CommandRunner } from '../../../shared/exec/index.js';
import { sampleImages, writeImageArchive } from '../../helpers/fixtures/index.js';
import { startContainerd, type ContainerdInstance } from '../../helpers/containerd-instance.js';
import { runtimeContract } from './runtime-contract.js';

let daemon: ContainerdInstance | undefined;

runtimeContract(
  'containerd',
  async () => {
    daemon = await startContainerd();
    const runner = new ExecaRunner();
    return {
      runtime: new ContainerdRuntime({ runner, address: daemon.address, namespace: 'k8s.io' }),
      unreachable: new ContainerdRuntime({
        runner,
        address: `${daemon.dir}/nobody-here.sock`,
        commandTimeoutMs: 5000,
      }),
    };
  },
  async () => {
    await daemon?.stop();
  },
);

describe('containerd runtime: checks and verifications through the API', () => {
  let own: ContainerdInstance | undefined;
  after(async () => {
    await own?.stop();
  });

  it('asks only for the wanted images and starts no ctr process to check them', async () => {
    own = await startContainerd();
    const ctrCalls: string[][] = [];
    const execa = new ExecaRunner();
    const runner: CommandRunner = {
      run: (file, args, options) => {
        // Past `--address … --namespace … --connect-timeout 3s`: the subcommand and its arguments.
        ctrCalls.push(args.slice(args.indexOf('--connect-timeout') + 2));
        return execa.run(file, args, options);
      },
    };
    const real = new ContainerdApi({ address: own.address, namespace: 'k8s.io' });
    const filters: string[][] = [];
    const api: ContainerdReader = {
      version: (signal) => real.version(signal),
      listImages: (wanted, signal) => {
        filters.push([...wanted]);
        return real.listImages(wanted, signal);
      },
      contentInfo: (digest, signal) => real.contentInfo(digest, signal),
      readContent: (digest, signal) => real.readContent(digest, signal),
      hasSnapshot: (snapshotter, key, signal) => real.hasSnapshot(snapshotter, key, signal),
      close: () => {
        real.close();
      },
    };
    const runtime = new ContainerdRuntime({ runner, address: own.address, namespace: 'k8s.io', api });
    try {
      const images = await sampleImages('9.9.5', 8 * 1024);
      const targets = images.map((_, i) => `127.0.0.1:5000/verify/image-${i}:v1`);
      const [first, second] = targets;
      assert.ok(first !== undefined && second !== undefined && images.length > 2);

      // A fresh node: nothing there, and no process asked.
      assert.equal((await runtime.inspectAll(targets)).size, 0);
      assert.deepEqual(ctrCalls, []);

      await runtime.load(Readable.from([await writeImageArchive(images, 'go-containerregistry')]));
      for (const [i, image] of images.entries())
        await runtime.tag(image.references[0] ?? '', targets[i] ?? '');
      ctrCalls.length = 0;
      filters.length = 0;
      const found = await runtime.inspectAll([first, second]);
      assert.deepEqual([...found.keys()].sort(), [first, second].sort());
      for (const [i, target] of [first, second].entries()) {
        assert.equal(found.get(target)?.configDigest, images[i]?.configDigest);
        assert.equal(found.get(target)?.usable, true);
      }
      assert.deepEqual(ctrCalls, [], 'no ctr process for a verification');
      assert.deepEqual(filters, [[`name==${first}`, `name==${second}`]], 'only the wanted images are listed');
      assert.equal((await runtime.info()).kind, 'containerd');
      assert.deepEqual(ctrCalls, [], 'nor for the version');
    } finally {
      await runtime.close();
    }
  });

  it('says an image whose layers are not unpacked is not usable, as ctr images check does', async () => {
    own ??= await startContainerd();
    const runtime = new ContainerdRuntime({
      runner: new ExecaRunner(),
      address: own.address,
      namespace: 'unpack-test',
    });
    try {
      const images = await sampleImages('9.9.4', 8 * 1024);
      await runtime.load(Readable.from([await writeImageArchive(images, 'go-containerregistry')]));
      const reference = images[0]?.references[0] ?? '';
      assert.equal((await runtime.inspect(reference))?.usable, true);
      // Removing the snapshot (as a failed unpack leaves it) must turn the answer to not usable.
      const { stdout } = await new ExecaRunner().run('ctr', [
        '--address',
        own.address,
        '--namespace',
        'unpack-test',
        'snapshots',
        'ls',
      ]);
      const keys = stdout
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(/\s+/))
        .filter((cols) => cols[0]?.startsWith('sha256:') === true);
      // Children first: a snapshot with children cannot go.
      const parents = new Set(keys.map((cols) => cols[1]));
      const leaves = keys.filter((cols) => !parents.has(cols[0])).map((cols) => cols[0] ?? '');
      for (const key of leaves) {
        await new ExecaRunner().run('ctr', [
          '--address',
          own.address,
          '--namespace',
          'unpack-test',
          'snapshots',
          'rm',
          key,
        ]);
      }
      const again = new ContainerdRuntime({
        runner: new ExecaRunner(),
        address: own.address,
        namespace: 'unpack-test',
      });
      try {
        const after = await again.inspectAll(images.map((image) => image.references[0] ?? ''));
        assert.ok(
          [...after.values()].some((image) => !image.usable),
          'an image without its snapshot is not usable',
        );
        assert.equal(after.get(reference)?.configDigest, images[0]?.configDigest);
      } finally {
        await again.close();
      }
    } finally {
      await runtime.close();
    }
  });
});
