import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

import Docker from 'dockerode';
import { execa } from 'execa';

import type { ContainerdInstance } from '../helpers/containerd-instance.js';
import type { DockerdInstance } from '../helpers/dockerd-instance.js';
import { isAlive, mountsUnder } from '../helpers/dir-leftovers.js';

const ctr = (instance: ContainerdInstance, ...args: string[]) =>
  execa('ctr', ['-a', instance.address, '-n', instance.namespace, ...args], { timeout: 10_000 });

/** A container started by runSleeper, and the processes and socket it brought. */
export interface RunningContainer {
  readonly id: string;
  readonly pid: number;
  readonly shimPid: number;
  /** The shim's socket, which containerd 1.6 puts in /run/containerd/s whatever its own state dir. */
  readonly shimSocket: string;
}

/**
 * Runs `sleep 600` in a container without an image: a rootfs dir that borrows the host's /usr
 * read-only (the host is merged-/usr, so /bin and /lib are links into it). Enough for a real shim, a
 * real runc container and its processes: what stopping containerd has to clean up after.
 */
export async function runSleeper(instance: ContainerdInstance, id: string): Promise<RunningContainer> {
  const rootfs = join(instance.dir, `rootfs-${id}`);
  mkdirSync(join(rootfs, 'usr'), { recursive: true });
  for (const link of ['bin', 'lib', 'lib64', 'sbin']) symlinkSync(`usr/${link}`, join(rootfs, link));
  for (const dir of ['proc', 'dev', 'sys', 'tmp']) mkdirSync(join(rootfs, dir));
  await ctr(
    instance,
    'run',
    '--detach',
    '--null-io',
    '--runc-root',
    instance.runcRoot,
    '--mount',
    'type=bind,src=/usr,dst=/usr,options=rbind:ro',
    '--rootfs',
    rootfs,
    id,
    '/bin/sleep',
    '600',
  );
  const tasks = await ctr(instance, 'tasks', 'ls');
  const row = tasks.stdout.split('\n').find((line) => line.startsWith(`${id} `));
  const pid = Number(row?.trim().split(/\s+/)[1]);
  assert.ok(pid > 0 && isAlive(pid), `task ${id} running: ${tasks.stdout}`);
  const shimPid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
  assert.match(readFileSync(`/proc/${shimPid}/cmdline`, 'utf8'), /containerd-shim-runc-v2/);
  return { id, pid, shimPid, shimSocket: shimSocketOf(instance, instance.namespace, id) };
}

/** A container started by runDockerSleeper and its shim. */
export interface DockerSleeper {
  readonly pid: number;
  readonly shimPid: number;
  readonly shimSocket: string;
}

/**
 * The docker twin of runSleeper: an image imported from a rootfs of /usr links, run with the host's
 * /usr bound in. A running container gives dockerd overlay and netns mounts and containerd a shim.
 */
export async function runDockerSleeper(dockerd: DockerdInstance): Promise<DockerSleeper> {
  const rootfs = join(dockerd.dir, 'sleeper-rootfs');
  mkdirSync(join(rootfs, 'usr'), { recursive: true });
  for (const link of ['bin', 'lib', 'lib64', 'sbin']) symlinkSync(`usr/${link}`, join(rootfs, link));
  for (const dir of ['proc', 'dev', 'sys', 'tmp', 'etc']) mkdirSync(join(rootfs, dir));
  const tarball = join(dockerd.dir, 'sleeper-rootfs.tar');
  await execa('tar', ['-C', rootfs, '-cf', tarball, '.'], { timeout: 10_000 });
  const docker = new Docker({ socketPath: dockerd.socketPath });
  const progress = await docker.importImage(tarball, { repo: 'sleeper', tag: 'v1' });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(progress, (error: Error | null) => {
      if (error === null) resolve();
      else reject(error);
    });
  });
  const container = await docker.createContainer({
    Image: 'sleeper:v1',
    Cmd: ['/bin/sleep', '600'],
    // sleep as pid 1 ignores SIGTERM; do not make dockerd's shutdown wait the default 10 s for it.
    StopTimeout: 1,
    HostConfig: { Binds: ['/usr:/usr:ro'], NetworkMode: 'none' },
  });
  await container.start();
  const { State } = await container.inspect();
  assert.equal(State.Running, true);
  const pid = State.Pid;
  const shimPid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
  assert.match(
    readFileSync(`/proc/${shimPid}/cmdline`, 'utf8'),
    /containerd-shim-runc-v2\0-namespace\0moby\0/,
  );
  assert.ok(
    mountsUnder(dockerd.dir).some((point) => point.endsWith('/merged')),
    'overlay mount exists',
  );
  return { pid, shimPid, shimSocket: shimSocketOf(dockerd.containerd, 'moby', container.id) };
}

function shimSocketOf(containerd: ContainerdInstance, namespace: string, id: string): string {
  const bundle = join(containerd.state, 'io.containerd.runtime.v2.task', namespace, id);
  const socket = readFileSync(join(bundle, 'address'), 'utf8')
    .trim()
    .replace(/^unix:\/\//, '');
  assert.ok(existsSync(socket), `shim socket ${socket}`);
  return socket;
}
