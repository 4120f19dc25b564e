import { open, realpath } from 'node:fs/promises';
import { CommandFailedError, ConfigInvalidError } from '../../shared/errors/index.js';
import type { CommandRunner } from '../../shared/exec/index.js';

/** One shared object an executable loads: where the loader looks for it, and the file that holds it. */
export interface SharedLibrary {
  /** The path exactly as ldd reports it, e.g. `/lib/x86_64-linux-gnu/libc.so.6` (the loader's own path too). */
  readonly path: string;
  /** That path with every symlink resolved: the bytes to copy. */
  readonly source: string;
}

const LDD_TIMEOUT_MS = 30_000;

/**
 * The shared libraries `executable` needs, the dynamic loader included, from `ldd`. A static
 * executable needs none. A library ldd cannot find fails the build: the image would not start.
 */
export async function sharedLibrariesOf(
  executable: string,
  runner: CommandRunner,
  signal?: AbortSignal,
): Promise<SharedLibrary[]> {
  let stdout: string;
  try {
    ({ stdout } = await runner.run('ldd', [executable], {
      timeoutMs: LDD_TIMEOUT_MS,
      ...(signal === undefined ? {} : { signal }),
      env: { LC_ALL: 'C' },
    }));
  } catch (err) {
    // glibc's ldd exits 1 for a static executable; that is an answer, not a failure.
    if (!(err instanceof CommandFailedError && /not a dynamic executable/.test(err.stderr))) throw err;
    // ldd says the same of a text file: only an ELF file is a static executable.
    if (!(await isElf(executable))) {
      throw new ConfigInvalidError(executable, 'executable', 'is not an ELF executable', err);
    }
    return [];
  }
  const paths = parseLddOutput(stdout, executable);
  const libraries: SharedLibrary[] = [];
  for (const path of paths) libraries.push({ path, source: await realpath(path) });
  return libraries;
}

/** The absolute paths in ldd's output, in its order; throws on `=> not found`. */
export function parseLddOutput(stdout: string, executable: string): string[] {
  const paths: string[] = [];
  const missing: string[] = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (line === '' || /statically linked/.test(line)) continue;
    const arrow = /^(\S+)\s+=>\s+(.*)$/.exec(line);
    if (arrow !== null) {
      const target = arrow[2] ?? '';
      if (target.startsWith('not found')) missing.push(arrow[1] ?? line);
      // `linux-vdso.so.1 =>  (0x…)` on old glibc: provided by the kernel, no file.
      else if (target.startsWith('/')) paths.push(target.replace(/\s+\(0x[0-9a-f]+\)$/, ''));
      continue;
    }
    // The loader (`/lib64/ld-linux-x86-64.so.2 (0x…)`); the vDSO line has no path and is skipped.
    const bare = /^(\/\S+)(?:\s+\(0x[0-9a-f]+\))?$/.exec(line);
    if (bare?.[1] !== undefined) paths.push(bare[1]);
  }
  if (missing.length > 0) {
    throw new ConfigInvalidError(
      executable,
      'shared libraries',
      `ldd finds no ${missing.join(', ')}: install them on this machine, or build from an executable whose libraries are here`,
    );
  }
  return [...new Set(paths)];
}

async function isElf(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(4), 0, 4, 0);
    return bytesRead === 4 && buffer.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    await file.close();
  }
}
