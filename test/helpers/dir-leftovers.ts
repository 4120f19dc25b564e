import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { execa } from 'execa';

// What a daemon can leave behind under its instance dir after its main process has gone: processes
// that outlive it by design (containerd shims, which run in their own session, and the containers
// under them) and mounts (overlay snapshots and rootfs, dockerd's bind mount of its data root and its
// netns files).

const UMOUNT_TIMEOUT_MS = 10_000;
const STRAY_EXIT_WAIT_MS = 5_000;
const MAX_UMOUNT_PASSES = 5;

/** Mount points at or below `dir` in this mount namespace, deepest first. */
export function mountsUnder(dir: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field): field is string => field !== undefined)
    .map(unescapeMountField)
    .filter((point) => isAtOrUnder(point, dir));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/**
 * Pids of orphaned processes whose argv, cwd or root refer to `dir` or a path below it. This process
 * and its descendants are left out: a test may well run a client of the daemon (an agent pointed at its
 * socket) and decide itself when that client ends, even after the daemon has stopped.
 */
export function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (refersTo(pid, dir) && !descendsFromUs(pid)) pids.push(pid);
  }
  return pids;
}

/** Kills stray processes using `dir` and their descendants, lazily unmounts everything under it, then deletes it. */
export async function cleanUpDir(dir: string): Promise<void> {
  const strays = withDescendants(processesUsing(dir));
  if (strays.length > 0) {
    killAll(strays);
    const deadline = Date.now() + STRAY_EXIT_WAIT_MS;
    while (strays.some(isAlive) && Date.now() < deadline) await sleep(50);
  }
  for (let pass = 0; pass < MAX_UMOUNT_PASSES; pass++) {
    const points = mountsUnder(dir);
    if (points.length === 0) break;
    for (const point of points) {
      await execa('umount', ['-l', point], { timeout: UMOUNT_TIMEOUT_MS, reject: false });
    }
  }
  const remaining = mountsUnder(dir);
  if (remaining.length > 0) {
    throw new Error(`could not unmount under ${dir}: ${remaining.join(', ')}`);
  }
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** Best-effort synchronous cleanUpDir for exit hooks, which cannot await. */
export function cleanUpDirSync(dir: string): void {
  const strays = withDescendants(processesUsing(dir));
  if (strays.length > 0) {
    killAll(strays);
    const deadline = Date.now() + STRAY_EXIT_WAIT_MS;
    while (strays.some(isAlive) && Date.now() < deadline) sleepSync(50);
  }
  for (let pass = 0; pass < MAX_UMOUNT_PASSES; pass++) {
    const points = mountsUnder(dir);
    if (points.length === 0) break;
    for (const point of points) {
      try {
        execFileSync('umount', ['-l', point], { stdio: 'ignore', timeout: UMOUNT_TIMEOUT_MS });
      } catch {
        // The next pass re-reads mountinfo; a mount that stays just keeps rmSync from deleting below it.
      }
    }
  }
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** True while a process with this pid exists and is not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM means it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed orphan stays a zombie until pid 1 gets round to reaping it; it holds nothing any more.
  const state = statFields(pid)?.[0];
  return state !== undefined && state !== 'Z';
}

function refersTo(pid: number, dir: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    // Substring, not prefix: daemons take paths inside flags such as unix://DIR/docker.sock.
    if (argv.some((arg) => arg === dir || arg.includes(`${dir}/`))) return true;
    for (const link of ['cwd', 'root']) {
      if (isAtOrUnder(readlinkSync(`/proc/${pid}/${link}`), dir)) return true;
    }
  } catch {
    // The process exited while we looked, or is a kernel thread without these links.
  }
  return false;
}

// A container's processes name nothing of the instance dir and live in their own mount namespace, but
// they are children of the shim that does; once the shim is killed they are orphans nobody can trace.
// So collect the whole tree before killing any of it.
function withDescendants(pids: readonly number[]): number[] {
  if (pids.length === 0) return [];
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const parent = parentOf(pid);
    if (parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const found = new Set<number>();
  const queue = [...pids];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    if (found.has(pid)) continue;
    found.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return [...found];
}

function descendsFromUs(pid: number): boolean {
  let current = pid;
  // Bounded walk: pid 1 ends it, and so does a process exiting while we read its parent.
  for (let depth = 0; depth < 64 && current > 1; depth++) {
    if (current === process.pid) return true;
    const parent = parentOf(current);
    if (parent === undefined) return false;
    current = parent;
  }
  return false;
}

function parentOf(pid: number): number | undefined {
  const ppid = statFields(pid)?.[1];
  return ppid === undefined ? undefined : Number(ppid);
}

// /proc/PID/stat after the parenthesised command name (which may itself hold spaces and parens):
// state, ppid, pgrp, ... Undefined once the process is gone.
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

function isAtOrUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

// mountinfo escapes space, tab, newline and backslash in paths as \ooo octal.
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
