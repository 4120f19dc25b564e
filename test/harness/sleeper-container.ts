import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

import { execa } from 'execa';

import type { ContainerdInstance } from '../helpers/containerd-instance.js';
import { isAlive } from '../helpers/dir-leftovers.js';

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
  const bundle = join(instance.state, 'io.containerd.runtime.v2.task', instance.namespace, id);
  const shimSocket = readFileSync(join(bundle, 'address'), 'utf8')
    .trim()
    .replace(/^unix:\/\//, '');
  assert.ok(existsSync(shimSocket), `shim socket ${shimSocket}`);
  return { id, pid, shimPid, shimSocket };
}
