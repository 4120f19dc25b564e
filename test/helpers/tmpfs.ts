// RAM-backed directories for benchmarks, so the one shared disk of the machine is not what gets
// measured. Each mount's source names the creating pid (`airlift-bench-<pid>`), which is how a later
// run tells a crashed run's leftovers from a live run's mounts.
import { mkdtempSync, readFileSync, realpathSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

import { execa } from 'execa';

import { cleanUpDir, cleanUpDirSync, isAlive } from './dir-leftovers.js';
import { requireBinary, requireRoot } from './host-prereqs.js';
import { onEmergencyCleanup } from './process-registry.js';

/** A mounted tmpfs the caller owns until remove(). */
export interface Tmpfs {
  readonly path: string;
  readonly sizeBytes: number;
  /** Bytes in use now (pages the files hold). */
  usedBytes(): number;
  /** Kills processes still using it, unmounts it and everything below, deletes the dir; idempotent. */
  remove(): Promise<void>;
}

/** Knobs of mountTmpfs. */
export interface TmpfsOptions {
  /** Upper bound of the mount; pages are only taken as files are written. */
  readonly sizeMiB: number;
  /** Directory name prefix under /tmp; default 'airlift-tmpfs'. */
  readonly prefix?: string;
}

const SOURCE_PREFIX = 'airlift-bench-';
const MOUNT_TIMEOUT_MS = 10_000;

/** Mounts a tmpfs of the given size on a fresh dir under /tmp, removed at exit if never removed. */
export async function mountTmpfs(options: TmpfsOptions): Promise<Tmpfs> {
  requireRoot('mountTmpfs');
  const mountBin = requireBinary('mount');
  const sizeMiB = Math.ceil(options.sizeMiB);
  if (!(sizeMiB > 0)) throw new Error(`mountTmpfs: sizeMiB must be > 0, got ${options.sizeMiB}`);
  // Fixed /tmp, not os.tmpdir(): containerd sockets go in here and must stay under 108 bytes.
  const path = realpathSync(
    mkdtempSync(join('/tmp', `${options.prefix ?? 'airlift-tmpfs'}-${process.pid}-`)),
  );
  // Registered before mounting: an exit while mount runs still unmounts whatever it managed.
  const forget = onEmergencyCleanup(() => {
    cleanUpDirSync(path);
  });
  try {
    await execa(
      mountBin,
      ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0755`, `${SOURCE_PREFIX}${process.pid}`, path],
      { timeout: MOUNT_TIMEOUT_MS },
    );
  } catch (error) {
    forget();
    rmSync(path, { recursive: true, force: true });
    throw error;
  }
  let removing: Promise<void> | undefined;
  return {
    path,
    sizeBytes: sizeMiB * 1024 * 1024,
    usedBytes() {
      const stats = statfsSync(path);
      return (stats.blocks - stats.bfree) * stats.bsize;
    },
    remove() {
      removing ??= (async () => {
        await cleanUpDir(path);
        forget();
      })();
      return removing;
    },
  };
}

/** Unmounts and deletes tmpfs mounts of ours whose creating process is gone; returns their paths. */
export async function cleanupStaleTmpfs(): Promise<string[]> {
  requireRoot('cleanupStaleTmpfs');
  const stale = benchTmpfsMounts().filter(({ pid }) => pid !== process.pid && !isAlive(pid));
  for (const { path } of stale) await cleanUpDir(path);
  return stale.map(({ path }) => path);
}

/** Mount points of every tmpfs this helper mounted, by any run, that is still mounted. */
export function benchTmpfsMounts(): { path: string; pid: number }[] {
  const found: { path: string; pid: number }[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    // `id parent major:minor root mountpoint options [optional…] - fstype source superoptions`
    const [before, after] = line.split(' - ');
    const [fstype, source] = after?.split(' ') ?? [];
    const path = before?.split(' ')[4];
    const match = /^airlift-bench-(\d+)$/.exec(source ?? '');
    if (fstype === 'tmpfs' && match?.[1] !== undefined && path !== undefined) {
      found.push({ path, pid: Number(match[1]) });
    }
  }
  return found;
}
