import { execa } from 'execa';

import { AIRLIFT_BIN } from '../../helpers/paths.js';

/** Wall times of the real `airlift status --output json`, and what it listed. */
export interface StatusResult {
  readonly runsMs: readonly number[];
  readonly minMs: number;
  readonly medianMs: number;
  readonly maxMs: number;
  /** `airlift --version`: the same bundle's start-up and exit alone, the floor under every run. */
  readonly startupMs: number;
  /** Rows and healthy rows of the last run. */
  readonly rows: number;
  readonly healthy: number;
}

const RUN_TIMEOUT_MS = 60_000;

/**
 * Runs the CLI bundle as an operator would (`node dist/airlift.mjs status --output json --identity
 * coordinator.json --nats URL`), `runs` times one after another, and checks every run listed every agent.
 */
export async function measureStatus(
  coordinatorFile: string,
  natsUrl: string,
  agents: number,
  runs: number,
  cpuProfDir?: string,
): Promise<StatusResult> {
  // A clean environment: no AIRLIFT_NATS_URL or log level of the caller's shell may change the run.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const startup = performance.now();
  await execa(process.execPath, [AIRLIFT_BIN, '--version'], {
    env,
    extendEnv: false,
    timeout: RUN_TIMEOUT_MS,
  });
  const startupMs = performance.now() - startup;
  const runsMs: number[] = [];
  let rows = 0;
  let healthy = 0;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const result = await execa(
      process.execPath,
      [AIRLIFT_BIN, 'status', '--output', 'json', '--identity', coordinatorFile, '--nats', natsUrl],
      { env, extendEnv: false, timeout: RUN_TIMEOUT_MS, reject: false },
    );
    runsMs.push(performance.now() - started);
    if (result.exitCode !== 0) {
      throw new Error(
        `airlift status exited ${result.exitCode ?? result.signal ?? '?'}: ${result.stderr.slice(-2000)}`,
      );
    }
    const listed = JSON.parse(result.stdout) as { health?: string }[];
    rows = listed.length;
    healthy = listed.filter((row) => row.health === 'healthy').length;
    if (rows !== agents) throw new Error(`airlift status listed ${rows} agents, expected ${agents}`);
  }
  if (cpuProfDir !== undefined) {
    // One more run, profiled, not counted: where a status run's time goes.
    await execa(
      process.execPath,
      [
        '--cpu-prof',
        '--cpu-prof-dir',
        cpuProfDir,
        AIRLIFT_BIN,
        'status',
        '--output',
        'json',
        '--identity',
        coordinatorFile,
        '--nats',
        natsUrl,
      ],
      { env, extendEnv: false, timeout: RUN_TIMEOUT_MS },
    );
  }
  const sorted = [...runsMs].sort((a, b) => a - b);
  return {
    runsMs: runsMs.map(Math.round),
    minMs: Math.round(sorted[0] ?? 0),
    medianMs: Math.round(median(sorted)),
    maxMs: Math.round(sorted[sorted.length - 1] ?? 0),
    startupMs: Math.round(startupMs),
    rows,
    healthy,
  };
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
