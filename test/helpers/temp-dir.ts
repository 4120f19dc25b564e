import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { onEmergencyCleanup } from './process-registry.js';

/** A directory the caller owns until it calls remove(). */
export interface TempDir {
  readonly path: string;
  /** Deletes the directory and everything in it; safe to call more than once. */
  remove(): Promise<void>;
}

// Fixed /tmp rather than os.tmpdir(): a long TMPDIR would push daemon sockets in these dirs past the
// 108-byte limit of a unix socket path.
const TEMP_ROOT = '/tmp';

/** Creates a fresh directory under /tmp, removed at process exit if the test never calls remove(). */
export function makeTempDir(prefix: string): TempDir {
  const path = realpathSync(mkdtempSync(join(TEMP_ROOT, `${prefix}-`)));
  const forget = onEmergencyCleanup(() => {
    rmSync(path, { recursive: true, force: true });
  });
  return {
    path,
    async remove() {
      forget();
      await rm(path, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
