import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildSeaExecutable } from '../../deploy/release/index.js';
import { ExecaRunner } from '../../shared/exec/index.js';
import { REPO_ROOT } from './paths.js';

const SCRIPT = join(REPO_ROOT, 'dist', 'airlift-sea.cjs');
const CACHE = join(REPO_ROOT, 'dist', 'test-sea');

/**
 * The release's single executable, built from this build's dist/airlift-sea.cjs once and kept in
 * dist/test-sea/ until the next build: the image and DaemonSet tests run the executable that ships,
 * not a stand-in, without each paying for a whole release.
 */
export async function seaExecutable(): Promise<string> {
  const out = join(CACHE, 'airlift');
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(SCRIPT).mtimeMs) return out;
  await mkdir(CACHE, { recursive: true });
  const work = await mkdtemp(join(CACHE, 'build-'));
  try {
    const partial = join(work, 'airlift');
    await buildSeaExecutable({ script: SCRIPT, outFile: partial, workDir: work, runner: new ExecaRunner() });
    await rename(partial, out);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return out;
}
