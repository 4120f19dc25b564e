// The single executable `airlift`: a copy of the build machine's node with the CommonJS bundle
// (dist/airlift-sea.cjs) injected as its main script, so a node runs airlift without Node.js installed.
import { chmod, copyFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { CommandRunner } from '../../shared/exec/index.js';
import { assertPortableNode } from './portable-node.js';

/** The fuse Node's SEA support looks for; postject flips it when it injects the blob. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** What one executable build needs. */
export interface SeaBuild {
  /** The CommonJS script the executable runs. */
  readonly script: string;
  /** Where the executable is written. */
  readonly outFile: string;
  /** A scratch directory for the config and the blob. */
  readonly workDir: string;
  readonly runner: CommandRunner;
  /** The node binary to copy; the blob must come from the same build, so the default is this one. */
  readonly node?: string;
}

/** Builds the executable: SEA blob from `script`, node copied (stripped if possible), blob injected. */
export async function buildSeaExecutable(build: SeaBuild): Promise<void> {
  const node = build.node ?? process.execPath;
  await assertPortableNode(node, build.runner);
  const config = join(build.workDir, 'sea-config.json');
  const blob = join(build.workDir, 'airlift.blob');
  await writeFile(
    config,
    `${JSON.stringify({
      main: build.script,
      output: blob,
      disableExperimentalSEAWarning: true,
      // The V8 code cache makes the start cheaper (no compile of the ~3 MiB script); it needs the
      // script to have no import(), which the bundle has resolved into require calls.
      useCodeCache: true,
    })}\n`,
  );
  await build.runner.run(node, ['--experimental-sea-config', config], { timeoutMs: 120_000 });
  await copyFile(node, build.outFile);
  await chmod(build.outFile, 0o755);
  await stripDebugSymbols(build);
  const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
  await build.runner.run(
    node,
    [postject, build.outFile, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE],
    { timeoutMs: 300_000 },
  );
}

/**
 * Some distributions ship node with its symbols and debug info (Debian's: 99 MB, 86 MB stripped); the
 * executable runs the same without (the dynamic symbol table stays). A machine without `strip` just
 * ships the bigger file.
 */
async function stripDebugSymbols(build: SeaBuild): Promise<void> {
  try {
    await build.runner.run('strip', [build.outFile], { timeoutMs: 120_000 });
  } catch {
    // `strip` absent or refusing the file: the unstripped copy works as well.
  }
}
