import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { execa } from 'execa';

// What a daemon can leave behind under its instance dir after its main process has gone: helper
// processes it started in their own session (containerd shims, dockerd's managed containerd, the
// containers themselves), and mounts (overlay snapshots, dockerd's bind mount of its data root).

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

/** Pids of processes (other than this one) whose argv, cwd or root refer to `dir` or a path below it. */
export function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    if (refersTo(pid, dir)) pids.push(pid);
  }
  return pids;
}

/** Kills stray processes using `dir`, lazily unmounts everything under it, then deletes it. */
export async function cleanUpDir(dir: string): Promise<void> {
  const strays = processesUsing(dir);
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
  const strays = processesUsing(dir);
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
  // Orphans are reaped by whatever runs as pid 1, which in a container may never do it.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
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
