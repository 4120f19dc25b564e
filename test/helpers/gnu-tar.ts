import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

/** Path of the system's GNU tar, or undefined when none is installed (tests using it skip). */
export const GNU_TAR: string | undefined = ['/usr/bin/tar', '/bin/tar'].find((path) => existsSync(path));

/** Runs GNU tar with `args`; rejects on a non-zero exit. */
export async function runTar(args: readonly string[]): Promise<string> {
  if (GNU_TAR === undefined) throw new Error('GNU tar is not installed');
  const { stdout } = await promisify(execFile)(GNU_TAR, [...args]);
  return stdout;
}
