// Builds the offline release: one tarball with the single executable, the systemd units, the example
// nats-server config, install.sh, a README, SHA256SUMS and the agent's DaemonSet manifest; and the agent
// image archive beside it. Needs `npm run build` first (dist/airlift-sea.cjs).
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { ExecaRunner, type CommandRunner } from '../../shared/exec/index.js';
import { buildAgentImageStep, type AgentImageResult } from './agent-image-step.js';
import { releaseTarget, type ReleaseTarget } from './release-target.js';
import { buildSeaExecutable } from './sea-executable.js';

/** The repository root, from dist/deploy/release/. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The units the release ships: deploy/systemd/ is their one source. */
export const RELEASE_UNITS = ['airlift-agent.service', 'airlift-nats.service', 'airlift-serve.service'];

/** Where and how to build a release. */
export interface ReleaseOptions {
  /** Where the tarball (and the image archive) go; created if absent. */
  readonly outDir: string;
  readonly logger?: Logger;
  readonly runner?: CommandRunner;
  /** Build the agent image archive and the DaemonSet manifest too (default true). */
  readonly agentImage?: boolean;
  /** gzip level of the tarball (default 6; 1 is 3 times faster and 10 % bigger, for tests). */
  readonly gzipLevel?: number;
}

/** What a release build wrote. */
export interface Release {
  readonly target: ReleaseTarget;
  readonly tarball: string;
  readonly executableBytes: number;
  readonly agentImage: AgentImageResult | undefined;
  readonly durationMs: number;
}

/** Builds the release into `options.outDir`. */
export async function buildRelease(options: ReleaseOptions): Promise<Release> {
  const started = performance.now();
  const target = releaseTarget(REPO_ROOT);
  const runner = options.runner ?? new ExecaRunner(options.logger);
  const script = join(REPO_ROOT, 'dist/airlift-sea.cjs');
  if (!existsSync(script)) {
    throw new Error(`${script} is missing: run \`npm run build\` before building a release`);
  }
  const work = await mkdtemp(join(tmpdir(), 'airlift-release-'));
  try {
    const stage = join(work, target.topDir);
    await mkdir(join(stage, 'bin'), { recursive: true });
    const executable = join(stage, 'bin/airlift');
    await buildSeaExecutable({ script, outFile: executable, workDir: work, runner });
    options.logger?.info({ executable }, 'executable built');
    await stageFiles(stage, target);
    await mkdir(options.outDir, { recursive: true });
    const agentImage =
      options.agentImage === false
        ? undefined
        : await buildAgentImageStep({
            executable,
            version: target.version,
            imageFile: join(options.outDir, target.image),
            bundleFile: join(options.outDir, target.agentBundle),
            manifestFile: join(stage, 'kubernetes/airlift-agent.yaml'),
            runner,
            ...(options.logger === undefined ? {} : { logger: options.logger }),
          });
    await writeChecksums(stage);
    const tarball = join(options.outDir, target.tarball);
    await runner.run(
      'tar',
      [
        '--create',
        '--file',
        tarball,
        '--use-compress-program',
        `gzip -${options.gzipLevel ?? 6}`,
        '--owner=0',
        '--group=0',
        '--numeric-owner',
        '-C',
        work,
        target.topDir,
      ],
      { timeoutMs: 300_000 },
    );
    const executableBytes = (await stat(executable)).size;
    return {
      target,
      tarball,
      executableBytes,
      agentImage,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Everything but the executable and the checksums, from deploy/: units, examples, install.sh, README. */
async function stageFiles(stage: string, target: ReleaseTarget): Promise<void> {
  const deploy = join(REPO_ROOT, 'deploy');
  await mkdir(join(stage, 'systemd'), { recursive: true });
  await mkdir(join(stage, 'examples'), { recursive: true });
  for (const unit of RELEASE_UNITS) {
    await copyFile(join(deploy, 'systemd', unit), join(stage, 'systemd', unit));
  }
  await copyFile(join(deploy, 'nats/nats-server.conf'), join(stage, 'examples/nats-server.conf'));
  await copyFile(join(deploy, 'release/airlift.example.yaml'), join(stage, 'examples/airlift.yaml'));
  const fill = (text: string): string =>
    text.replaceAll('@AIRLIFT_VERSION@', target.version).replaceAll('@AIRLIFT_ARCH@', target.arch);
  const install = join(stage, 'install.sh');
  await writeFile(install, fill(await readFile(join(deploy, 'release/install.sh'), 'utf8')));
  await chmod(install, 0o755);
  await writeFile(
    join(stage, 'README.md'),
    fill(await readFile(join(deploy, 'release/release-readme.md'), 'utf8')),
  );
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** SHA256SUMS in `sha256sum -c` format, every file under `stage` by its relative path. */
async function writeChecksums(stage: string): Promise<void> {
  const entries = await readdir(stage, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(stage, join(entry.parentPath, entry.name)))
    .sort();
  const lines = [];
  for (const file of files) lines.push(`${await sha256(join(stage, file))}  ${file}\n`);
  await writeFile(join(stage, 'SHA256SUMS'), lines.join(''));
}
