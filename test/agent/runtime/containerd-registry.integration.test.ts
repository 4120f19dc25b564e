import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCheckRegistryImagesJob } from '../../../agent/daemon/check-registry-images-job.js';
import { ContainerdRuntime } from '../../../agent/index.js';
import type { CheckRegistryImagesJob } from '../../../shared/control/index.js';
import { RegistryImageNotFoundError, RegistryPullError } from '../../../shared/errors/index.js';
import { ExecaRunner } from '../../../shared/exec/index.js';
import { silentLogger } from '../../../shared/logging/index.js';
import { startContainerd, type ContainerdInstance } from '../../helpers/containerd-instance.js';
import { startRegistry, type RegistryInstance } from '../../helpers/registry-instance.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { pushImage } from './registry-push.js';
import { TestKeys } from '../../helpers/test-keys.js';

describe('containerd: resolve and pull from a registry', { timeout: 120_000 }, () => {
  let daemon: ContainerdInstance | undefined;
  let registry: RegistryInstance | undefined;
  let tmp: TempDir | undefined;
  let runtime: ContainerdRuntime;
  let present: string;
  let configDigest: string;
  const plain = { plainHttp: true };

  before(async () => {
    tmp = makeTempDir('airlift-registry-pull');
    registry = await startRegistry();
    daemon = await startContainerd();
    runtime = new ContainerdRuntime({
      runner: new ExecaRunner(),
      address: daemon.address,
      namespace: 'k8s.io',
    });
    present = `${registry.host}/team/app:v1`;
    configDigest = await pushImage(tmp.path, present, 'app');
  });
  after(async () => {
    await runtime.close();
    await daemon?.stop();
    await registry?.stop();
    await tmp?.remove();
  });

  it('resolves a present image to its manifest and config digest, without creating an image', async () => {
    const resolved = await runtime.resolve(present, plain);
    assert.match(resolved.digest, /^sha256:[a-f0-9]{64}$/);
    assert.equal(resolved.configDigest, configDigest);
    assert.equal(await runtime.inspect(present), undefined);
  });

  it('names a missing image and an unreachable registry', async () => {
    await assert.rejects(runtime.resolve(`${registry?.host}/team/missing:v1`, plain), (err) => {
      assert.ok(err instanceof RegistryImageNotFoundError, String(err));
      assert.match(err.message, /team\/missing:v1/);
      return true;
    });
    await assert.rejects(runtime.resolve('127.0.0.1:9/team/app:v1', plain), (err) => {
      assert.ok(err instanceof RegistryPullError, String(err));
      assert.match(err.message, /connection refused/);
      return true;
    });
  });

  it('a pre-pull job pulls every image into containerd, unpacked, with the bundle’s config digest', async () => {
    const keys = new TestKeys();
    const job: CheckRegistryImagesJob = {
      v: 1,
      kind: 'check-registry-images',
      jobId: 'r20260101-000000-abcd-n0',
      runId: 'r20260101-000000-abcd',
      node: 'node-a',
      issuedAt: new Date().toISOString(),
      payload: {
        images: [
          { reference: present, configDigest },
          { reference: `${registry?.host ?? ''}/team/missing:v1` },
        ],
        prePull: true,
        access: { plainHttp: [registry?.host ?? ''] },
        timeoutMs: 60_000,
      },
    };
    const report = await runCheckRegistryImagesJob(
      job,
      {
        node: 'node-a',
        runtime,
        logger: silentLogger(),
        sealer: keys.agentTrust('node-a').sealer,
        publish: () => undefined,
      },
      new AbortController().signal,
      () => undefined,
    );
    assert.equal(report.ok, false);
    const [ok, missing] = report.images;
    assert.deepEqual([ok?.resolved, ok?.pulled, ok?.verified], [true, true, true], ok?.problem);
    assert.equal(missing?.verified, false);
    assert.match(missing.problem ?? '', /REGISTRY_IMAGE_NOT_FOUND/);
    const held = await runtime.inspect(present);
    assert.deepEqual(held, { reference: present, configDigest, usable: true });
  });
});
