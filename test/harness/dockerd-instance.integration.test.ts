import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import Docker from 'dockerode';
import { execa } from 'execa';

import { startContainerd } from '../helpers/containerd-instance.js';
import type { ContainerdInstance } from '../helpers/containerd-instance.js';
import { startDockerd } from '../helpers/dockerd-instance.js';
import type { DockerdInstance } from '../helpers/dockerd-instance.js';
import { isAlive } from '../helpers/dir-leftovers.js';
import { assertNothingLeft } from './leftover-assertions.js';
import { runDockerSleeper } from './sleeper-container.js';

// The part of GET /info the tests read; dockerode types it as any.
interface DockerInfo {
  readonly Driver: string;
  readonly DockerRootDir: string;
  readonly RegistryConfig?: { readonly IndexConfigs?: Readonly<Record<string, unknown>> };
}

const assertAnswers = async (dockerd: DockerdInstance): Promise<void> => {
  const docker = new Docker({ socketPath: dockerd.socketPath });
  assert.equal(String(await docker.ping()), 'OK');
  const version = await docker.version();
  assert.match(version.ApiVersion, /^1\.\d+$/);
  const info = (await docker.info()) as DockerInfo;
  assert.equal(info.Driver, 'overlay2');
  assert.equal(info.DockerRootDir, dockerd.dataRoot);
};

// dockerd creates its containerd namespaces only with its first container, so its log of the gRPC
// address it dialled is the evidence that it runs on the given containerd and not the system's.
const assertUses = (dockerd: DockerdInstance, containerd: ContainerdInstance): void => {
  assert.ok(
    dockerd.logs().includes(`unix://${containerd.address}`),
    `dockerd did not dial ${containerd.address}`,
  );
};

const assertDockerdGone = async (dockerd: DockerdInstance): Promise<void> => {
  await assertNothingLeft({ dir: dockerd.dir, pids: [dockerd.pid], sockets: [dockerd.socketPath] });
};

void describe('startDockerd', () => {
  void it('answers /_ping and /version on its own containerd and leaves nothing behind', async () => {
    const dockerd = await startDockerd();
    try {
      assert.equal(dockerd.host, `unix://${dockerd.socketPath}`);
      assert.ok(Buffer.byteLength(dockerd.socketPath) < 108);
      await assertAnswers(dockerd);
      assertUses(dockerd, dockerd.containerd);
      assert.ok(existsSync(join(dockerd.dir, 'key.json')), 'trust key kept in the instance dir');
      assert.match(dockerd.logs(), /API listen on/);
    } finally {
      await dockerd.stop();
    }
    await assertDockerdGone(dockerd);
    await assertNothingLeft({
      dir: dockerd.containerd.dir,
      pids: [dockerd.containerd.pid],
      sockets: [dockerd.containerd.address],
    });
    await dockerd.stop();
    assert.match(dockerd.logs(), /Daemon shutdown complete/);
  });

  void it('runs next to another dockerd and a containerd instance without either noticing', async () => {
    const [one, two, containerd] = await Promise.all([startDockerd(), startDockerd(), startContainerd()]);
    try {
      await Promise.all([assertAnswers(one), assertAnswers(two)]);
      const ctrdPids = new Set([one.containerd.pid, two.containerd.pid, containerd.pid]);
      assert.equal(ctrdPids.size, 3, 'each dockerd has a containerd of its own');
      assertUses(one, one.containerd);
      assertUses(two, two.containerd);
      for (const other of [two.containerd, containerd]) {
        assert.ok(!one.logs().includes(other.address), `dockerd one dialled ${other.address}`);
      }

      await one.stop();
      await assertDockerdGone(one);
      await assertAnswers(two);
      await execa('ctr', ['-a', containerd.address, 'version'], { timeout: 10_000 });
    } finally {
      await Promise.all([one.stop(), two.stop(), containerd.stop()]);
    }
    await assertDockerdGone(two);
  });

  void it('can share a containerd it was given, and leaves that one running', async () => {
    const containerd = await startContainerd();
    try {
      const dockerd = await startDockerd({ containerd });
      try {
        assert.equal(dockerd.containerd, containerd);
        await assertAnswers(dockerd);
        assertUses(dockerd, containerd);
      } finally {
        await dockerd.stop();
      }
      await assertDockerdGone(dockerd);
      assert.ok(isAlive(containerd.pid));
      await execa('ctr', ['-a', containerd.address, 'version'], { timeout: 10_000 });
    } finally {
      await containerd.stop();
    }
  });

  void it('stops its running containers and leaves no shim, process or mount behind', async () => {
    const dockerd = await startDockerd();
    const sleeper = await runDockerSleeper(dockerd).catch(async (error: unknown) => {
      await dockerd.stop();
      throw error;
    });
    await dockerd.stop();
    await assertNothingLeft({
      dir: dockerd.dir,
      pids: [dockerd.pid, dockerd.containerd.pid, sleeper.shimPid, sleeper.pid],
      sockets: [dockerd.socketPath],
    });
    await assertNothingLeft({
      dir: dockerd.containerd.dir,
      pids: [],
      sockets: [dockerd.containerd.address, sleeper.shimSocket],
    });
  });

  void it('cleans up after a dockerd that was killed with a container running', async () => {
    const dockerd = await startDockerd();
    const sleeper = await runDockerSleeper(dockerd).catch(async (error: unknown) => {
      await dockerd.stop();
      throw error;
    });
    process.kill(dockerd.pid, 'SIGKILL');
    await dockerd.stop();
    await assertNothingLeft({
      dir: dockerd.dir,
      pids: [dockerd.pid, dockerd.containerd.pid, sleeper.shimPid, sleeper.pid],
      sockets: [dockerd.socketPath],
    });
    await assertNothingLeft({
      dir: dockerd.containerd.dir,
      pids: [],
      sockets: [dockerd.containerd.address, sleeper.shimSocket],
    });
  });

  void it('applies extra daemon.json settings', async () => {
    const dockerd = await startDockerd({ daemonConfig: { 'insecure-registries': ['10.9.8.7:5000'] } });
    try {
      const info = (await new Docker({ socketPath: dockerd.socketPath }).info()) as DockerInfo;
      const registries = info.RegistryConfig?.IndexConfigs ?? {};
      assert.ok('10.9.8.7:5000' in registries, JSON.stringify(registries));
    } finally {
      await dockerd.stop();
    }
  });
});
