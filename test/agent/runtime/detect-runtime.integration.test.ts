import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ContainerdRuntime, selectRuntime } from '../../../agent/index.js';
import { ErrorCode, hasErrorCode } from '../../../shared/errors/index.js';
import { ExecaRunner } from '../../../shared/exec/index.js';
import { startContainerd, type ContainerdInstance } from '../../helpers/containerd-instance.js';
import { startDockerd, type DockerdInstance } from '../../helpers/dockerd-instance.js';
import { sampleImages, writeImageArchive } from '../../helpers/fixtures/index.js';
import { trickle } from '../../helpers/streams.js';

describe('selectRuntime against real daemons', () => {
  let ctrd: ContainerdInstance;
  let dockerd: DockerdInstance;
  const runner = new ExecaRunner();

  before(async () => {
    [ctrd, dockerd] = await Promise.all([startContainerd(), startDockerd()]);
  });
  after(async () => {
    await Promise.allSettled([ctrd.stop(), dockerd.stop()]);
  });

  it('with both answering and an empty kubelet namespace, picks Docker', async () => {
    const runtime = await selectRuntime({
      runner,
      dockerHost: dockerd.host,
      containerdAddress: ctrd.address,
      containerdNamespace: 'k8s.io',
    });
    assert.equal(runtime.kind, 'docker');
  });

  it('with both answering and images in the kubelet namespace, picks containerd', async () => {
    const ctr = new ContainerdRuntime({ runner, address: ctrd.address, namespace: 'kubelet-ns' });
    await ctr.load(
      trickle(await writeImageArchive(await sampleImages('3.0.0', 1024), 'go-containerregistry'), 65536),
    );
    const runtime = await selectRuntime({
      runner,
      dockerHost: dockerd.host,
      containerdAddress: ctrd.address,
      containerdNamespace: 'kubelet-ns',
    });
    assert.equal(runtime.kind, 'containerd');
  });

  it('honours an explicit kind even when the other answers', async () => {
    const runtime = await selectRuntime({
      runner,
      kind: 'containerd',
      containerdAddress: ctrd.address,
      dockerHost: dockerd.host,
    });
    assert.equal(runtime.kind, 'containerd');
  });

  it('an explicit kind whose daemon is down fails instead of falling back', async () => {
    await assert.rejects(
      selectRuntime({
        runner,
        kind: 'containerd',
        containerdAddress: join(ctrd.dir, 'gone.sock'),
        dockerHost: dockerd.host,
      }),
      (err: unknown) => hasErrorCode(err, ErrorCode.RuntimeUnavailable) && /gone\.sock/.test(err.message),
    );
  });
});
