import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { ContainerdRuntime } from '../../../agent/index.js';
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

describe('containerd runtime: the ctr processes a verification costs', () => {
  let own: ContainerdInstance | undefined;
  after(async () => {
    await own?.stop();
  });

  it('checks only the wanted images, and lists the content beside the check right after an import', async () => {
    own = await startContainerd();
    const calls: string[][] = [];
    const running = new Set<string>();
    const overlapped: string[] = [];
    const execa = new ExecaRunner();
    const runner: CommandRunner = {
      run: async (file, args, options) => {
        // Past `--address … --namespace … --connect-timeout 3s`: the subcommand and its arguments.
        const call = args.slice(args.indexOf('--connect-timeout') + 2);
        const name = call.slice(0, 2).join(' ');
        calls.push(call);
        if (running.size > 0) overlapped.push(`${name} while ${[...running].join(', ')}`);
        running.add(name);
        try {
          return await execa.run(file, args, options);
        } finally {
          running.delete(name);
        }
      },
    };
    const runtime = new ContainerdRuntime({ runner, address: own.address, namespace: 'k8s.io' });
    const images = await sampleImages('9.9.5', 8 * 1024);
    const targets = images.map((_, i) => `127.0.0.1:5000/verify/image-${i}:v1`);
    const [first, second] = targets;
    assert.ok(first !== undefined && second !== undefined && images.length > 2);

    // A fresh node: one check, nothing to list.
    assert.equal((await runtime.inspectAll(targets)).size, 0);
    assert.deepEqual(
      calls.map((c) => c.slice(0, 2)),
      [['images', 'check']],
    );

    const archive = await writeImageArchive(images, 'go-containerregistry');
    await runtime.load(Readable.from([archive]));
    for (const [i, image] of images.entries()) {
      await runtime.tag(image.references[0] ?? '', targets[i] ?? '');
    }
    calls.length = 0;
    const found = await runtime.inspectAll([first, second]);
    assert.deepEqual([...found.keys()].sort(), [first, second].sort());
    for (const [i, target] of [first, second].entries()) {
      assert.equal(found.get(target)?.configDigest, images[i]?.configDigest);
      assert.equal(found.get(target)?.usable, true);
    }
    assert.deepEqual(
      calls.map((c) => c.slice(0, 2)).sort(),
      [
        ['content', 'ls'],
        ['images', 'check'],
      ],
      'the check and the content listing after an import',
    );
    assert.equal(overlapped.length, 1, 'the listing ran beside the check, not after it');
    assert.deepEqual(
      calls.find((c) => c[1] === 'check')?.slice(2),
      [`name==${first}`, `name==${second}`],
      'only the wanted images are checked',
    );

    // Configs are known now: a second look is one check.
    calls.length = 0;
    overlapped.length = 0;
    assert.equal((await runtime.inspectAll(targets)).size, images.length);
    assert.deepEqual(
      calls.map((c) => c.slice(0, 2)),
      [['images', 'check']],
    );
  });
});
