// Builds the release once per test file, extracts it as an operator would, and runs what it installs
// with a PATH that has no node on it.
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildRelease, type Release } from '../../../deploy/release/index.js';

/** The tools install.sh, the tests' shell steps and the helm/kubectl stand-ins use: not node. */
const TOOLS = [
  ...['sh', 'bash', 'cp', 'mv', 'chmod', 'mkdir', 'rm', 'sed', 'uname', 'id', 'dirname', 'basename'],
  ...['sha256sum', 'cat', 'date', 'sleep', 'tr', 'od', 'head', 'tail', 'grep', 'mktemp', 'ls', 'env'],
];

/** A release built into `dir`/out and extracted into `dir`/extract. */
export interface ExtractedRelease {
  readonly release: Release;
  /** The extracted top directory, `airlift-<version>/`. */
  readonly dir: string;
  /** A PATH value holding TOOLS only (no node). */
  readonly path: string;
}

/** Builds the release (gzip -1 for speed; the agent image if `agentImage`) and extracts it. */
export async function buildAndExtract(dir: string, agentImage = false): Promise<ExtractedRelease> {
  const release = await buildRelease({ outDir: join(dir, 'out'), agentImage, gzipLevel: 1 });
  const extract = join(dir, 'extract');
  await mkdir(extract);
  await execa('tar', ['-xzf', release.tarball, '-C', extract], { timeout: 120_000 });
  const bin = join(dir, 'nodeless-bin');
  await mkdir(bin);
  for (const tool of TOOLS) {
    const { stdout } = await execa('sh', ['-c', `command -v ${tool}`]);
    await symlink(stdout.trim(), join(bin, tool));
  }
  return { release, dir: join(extract, release.target.topDir), path: bin };
}

/** How one command ended. */
export interface Ran {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `file args` with only PATH=`path` in the environment, from `cwd`, bounded in time. */
export async function runWithout(
  path: string,
  file: string,
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Ran> {
  const result = await execa(file, [...args], {
    cwd,
    env: { PATH: path, ...env },
    extendEnv: false,
    reject: false,
    timeout: 60_000,
    stdin: 'ignore',
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}
