import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { withTimeout } from '../async/index.js';
import type { Heartbeat } from '../../shared/control/index.js';
import type { ContainerRuntime } from '../runtime/index.js';

/** Where each runtime keeps images by default: the disk whose free space decides whether a load fits. */
export const DEFAULT_DATA_DIRS = { containerd: '/var/lib/containerd', docker: '/var/lib/docker' } as const;

/** Free and total bytes of the filesystem holding `path` (or its nearest existing parent). */
export async function diskFacts(path: string): Promise<Heartbeat['disk']> {
  let probe = path;
  for (;;) {
    try {
      const fs = await statfs(probe);
      return { path, freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
    } catch (err) {
      const parent = dirname(probe);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === probe) throw err;
      probe = parent;
    }
  }
}

/** Asks the runtime for its version, bounded in time; a runtime that does not answer is reported, not thrown. */
export async function runtimeFacts(
  runtime: ContainerRuntime,
  timeoutMs: number,
): Promise<Heartbeat['runtime']> {
  try {
    const info = await withTimeout(
      runtime.info(AbortSignal.timeout(timeoutMs)),
      timeoutMs,
      `${runtime.kind} runtime`,
    );
    return {
      kind: info.kind,
      version: info.version,
      endpoint: info.endpoint,
      ok: true,
      ...(info.namespace === undefined ? {} : { namespace: info.namespace }),
    };
  } catch (err) {
    return {
      kind: runtime.kind,
      version: 'unknown',
      endpoint: 'unreachable',
      ok: false,
      error: err instanceof Error ? err.message : String(err),
    };
  }
}
