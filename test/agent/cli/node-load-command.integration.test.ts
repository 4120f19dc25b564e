import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { startContainerd, type ContainerdInstance } from '../../helpers/containerd-instance.js';
import { startDockerd, type DockerdInstance } from '../../helpers/dockerd-instance.js';
import { writeSampleBundle, type SampleBundle } from '../../helpers/fixtures/index.js';
import { FIXTURES_DIR } from '../../helpers/paths.js';
import { runCli } from '../../helpers/run-cli.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

async function ctrImages(ctrd: ContainerdInstance, namespace: string): Promise<string[]> {
  const { stdout } = await execa('ctr', ['-a', ctrd.address, '-n', namespace, 'images', 'ls', '-q'], {
    timeout: 20_000,
  });
  return stdout.split('\n').filter((line) => line !== '');
}

describe('airlift node load (built CLI, real runtimes)', () => {
  let tmp: TempDir;
  let ctrd: ContainerdInstance;
  let dockerd: DockerdInstance;
  const bundles: Partial<Record<'go-containerregistry' | 'docker-save' | 'oci-layout', SampleBundle>> = {};

  before(async () => {
    tmp = makeTempDir('airlift-cli');
    [ctrd, dockerd] = await Promise.all([startContainerd(), startDockerd()]);
    for (const format of ['go-containerregistry', 'docker-save', 'oci-layout'] as const) {
      const dir = join(tmp.path, format);
      await mkdir(dir);
      bundles[format] = await writeSampleBundle(dir, { format, layerBytes: 16 * 1024 });
    }
  });
  after(async () => {
    await Promise.allSettled([ctrd.stop(), dockerd.stop()]);
    await tmp.remove();
  });

  for (const format of ['go-containerregistry', 'docker-save', 'oci-layout'] as const) {
    it(`containerd: loads, retags and verifies a ${format} bundle, exit 0`, async () => {
      const bundle = bundles[format]!;
      const namespace = `ns-${format}`;
      const run = await runCli([
        'node',
        'load',
        bundle.path,
        '--image-registry',
        '10.16.10.111',
        '--runtime',
        'containerd',
        '--containerd-address',
        ctrd.address,
        '--containerd-namespace',
        namespace,
        '--node',
        'worker-1',
      ]);
      assert.equal(run.exitCode, 0, run.stderr + run.stdout);
      assert.match(run.stdout, /5\/5 references verified on worker-1/);
      const held = await ctrImages(ctrd, namespace);
      for (const reference of bundle.references) {
        const target = reference.replace(/^[^/]+/, '10.16.10.111');
        assert.ok(held.includes(target), `${target} in ${held.join(', ')}`);
        assert.match(run.stdout, new RegExp(`-> ${target.replace(/[.]/g, '\\.')} .*verified=yes`));
      }
    });

    it(`docker: loads, retags and verifies a ${format} bundle, exit 0`, async () => {
      const bundle = bundles[format]!;
      const run = await runCli([
        'node',
        'load',
        bundle.path,
        '--image-registry',
        `127.0.0.1:5000`,
        '--runtime',
        'docker',
        '--docker-host',
        dockerd.host,
        '--no-skip-verified',
        '--output',
        'json',
      ]);
      assert.equal(run.exitCode, 0, run.stderr + run.stdout);
      const out = JSON.parse(run.stdout) as {
        report: { ok: boolean; images: { target: string; verified: boolean }[] };
      };
      assert.equal(out.report.ok, true);
      assert.deepEqual(
        out.report.images.map((i) => i.target).sort(),
        bundle.references.map((r) => r.replace(/^[^/]+/, '127.0.0.1:5000')).sort(),
      );
    });
  }

  it('a second run finds every image verified and skips the load', async () => {
    const args = [
      'node',
      'load',
      bundles['go-containerregistry']!.path,
      '--image-registry',
      '10.16.10.111',
      '--runtime',
      'containerd',
      '--containerd-address',
      ctrd.address,
      '--containerd-namespace',
      'ns-rerun',
    ];
    assert.equal((await runCli(args)).exitCode, 0);
    const again = await runCli(args);
    assert.equal(again.exitCode, 0, again.stderr);
    assert.match(again.stdout, /load\s+skipped/);
  });

  it('auto-detects the runtime that answers', async () => {
    const run = await runCli([
      'node',
      'load',
      bundles['docker-save']!.path,
      '--image-registry',
      '10.1.1.1',
      '--containerd-address',
      join(tmp.path, 'absent.sock'),
      '--docker-host',
      dockerd.host,
    ]);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.match(run.stdout, /node\s+\S+: docker /);
  });

  it('exits 4 naming every endpoint when no runtime answers', async () => {
    const run = await runCli([
      'node',
      'load',
      bundles['docker-save']!.path,
      '--image-registry',
      '10.1.1.1',
      '--containerd-address',
      join(tmp.path, 'absent.sock'),
      '--docker-host',
      `unix://${join(tmp.path, 'absent-docker.sock')}`,
    ]);
    assert.equal(run.exitCode, 4, run.stderr);
    assert.match(
      run.stderr,
      /no container runtime answers \(tried containerd at .*absent\.sock; docker at unix:.*absent-docker\.sock\)/,
    );
  });

  it('exits 5 and names the reference when the runtime refuses to retag', async () => {
    const run = await runCli([
      'node',
      'load',
      bundles['go-containerregistry']!.path,
      '--image-registry',
      '10.2.2.2',
      '--runtime',
      'containerd',
      '--containerd-address',
      ctrd.address,
      '--containerd-namespace',
      'ns-broken',
      '--ctr',
      join(FIXTURES_DIR, 'bin', 'ctr-refusing-tag'),
      '--node',
      'broken-node',
    ]);
    assert.equal(run.exitCode, 5, run.stderr + run.stdout);
    assert.match(run.stdout, /FAIL release\.daocloud\.io\/kairship\/kairship-apiserver:v0\.21\.0/);
    assert.match(run.stdout, /problem: .*injected fault/);
    assert.match(run.stdout, /0\/5 references verified on broken-node .*NOT all verified/);
  });

  it('refuses a bundle whose hints name an image the archive lacks, before loading anything (exit 3)', async () => {
    const dir = makeTempDir('airlift-mismatch');
    try {
      const bundle = await writeSampleBundle(dir.path, {
        mutate: (spec) => ({
          ...spec,
          hints: [
            ...(spec.hints as string[]),
            '{{ .apiserver.image.registry }}/kairship/not-shipped:{{ .apiserver.image.tag }}',
          ],
        }),
      });
      const run = await runCli([
        'node',
        'load',
        bundle.path,
        '--image-registry',
        '10.3.3.3',
        '--runtime',
        'containerd',
        '--containerd-address',
        ctrd.address,
        '--containerd-namespace',
        'ns-mismatch',
      ]);
      assert.equal(run.exitCode, 3, run.stderr);
      assert.match(
        run.stderr,
        /hints\.yaml \[4\] names release\.daocloud\.io\/kairship\/not-shipped:v0\.21\.0, which images\.tar does not contain/,
      );
      assert.deepEqual(await ctrImages(ctrd, 'ns-mismatch'), []);
    } finally {
      await dir.remove();
    }
  });

  it('exits 2 with the flag named when no registry is given', async () => {
    const run = await runCli(['node', 'load', bundles['docker-save']!.path]);
    assert.equal(run.exitCode, 2);
    assert.match(run.stderr, /--image-registry: is required/);
  });

  it('exits 3 naming the file for a bundle that does not exist', async () => {
    const run = await runCli([
      'node',
      'load',
      join(tmp.path, 'nope_1.0.0.bundle.tar'),
      '--image-registry',
      '10.1.1.1',
    ]);
    assert.equal(run.exitCode, 3);
    assert.match(run.stderr, /BUNDLE_NOT_FOUND.*nope_1\.0\.0\.bundle\.tar/);
  });
});
