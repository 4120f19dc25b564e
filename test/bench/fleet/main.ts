// `npm run bench:fleet -- [--full | --cells a,c | --nodes 1,4 --size-mib S --rate-mbit B] [--json]`: a fleet of N
// nodes on this one machine, each in its own network namespace behind a tbf-shaped link, each with its
// own containerd on tmpfs. Per N it measures T_floor, the scp-like manual baseline, airlift and airlift
// in star mode. Method and choice of defaults: docs/benchmarks.md. Needs root.
import os from 'node:os';

import { execa } from 'execa';

import { requireBinary, requireRoot } from '../../helpers/host-prereqs.js';
import { cleanupStale, createNodeNetwork } from '../../helpers/netns.js';
import { cleanupStaleTmpfs, mountTmpfs } from '../../helpers/tmpfs.js';
import { runAirliftPhase } from './airlift-phase.js';
import { writeBenchArchive } from './bench-archive.js';
import { runBaseline } from './baseline-phase.js';
import { runFloor } from './floor-phase.js';
import type { PhaseResult } from './measure.js';
import { parseBenchArgs, UsageError, USAGE } from './options.js';
import type { BenchOptions, BenchPlan, PhaseName } from './options.js';
import { formatTables, ratiosOf } from './report.js';
import type { BenchReport, StepResult } from './report.js';
import { linkSeconds } from './step.js';
import type { StepContext } from './step.js';

const log = (line: string): void => {
  // stderr: stdout carries only the tables or the JSON document.
  process.stderr.write(`bench:fleet ${line}\n`);
};

function runPhase(step: StepContext, phase: PhaseName): Promise<PhaseResult> {
  switch (phase) {
    case 'floor':
      return runFloor(step);
    case 'baseline':
      return runBaseline(step);
    case 'airlift':
      return runAirliftPhase(step, 'auto');
    case 'star':
      return runAirliftPhase(step, 'star');
  }
}

/**
 * Wall-clock bound of the whole run: twice a pessimistic estimate. On expiry the process exits and the
 * exit hooks remove namespaces, mounts and processes, so a hang can never outlive it.
 */
function budgetSeconds(options: BenchOptions): number {
  const S = options.sizeMiB * 1024 * 1024;
  const slowest = Math.min(options.rateMbit, options.coordinatorRateMbit);
  const perStep = options.nodes.map(
    (n) => (2 * n + 1) * linkSeconds(S, slowest) + 4 * ((n * options.sizeMiB) / 20) + 4 * 30,
  );
  return Math.ceil(2 * perStep.reduce((a, b) => a + b, 0) + 300);
}

async function machine(): Promise<Record<string, string | number>> {
  const containerd = await execa(requireBinary('containerd'), ['--version'], {
    timeout: 5_000,
    reject: false,
  });
  return {
    cores: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    containerd: containerd.stdout.split(' ')[2] ?? 'unknown',
  };
}

/**
 * A signal ends the run at once. process.exit runs the exit hooks of process-registry, which kill what
 * the bench started and remove namespaces and mounts. Without this, the registry's signal listener
 * defers to execa's (and execa's to it), and the run would go on with everything torn down under it.
 */
function exitOnSignals(): void {
  const codes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
  for (const [signal, code] of Object.entries(codes)) {
    process.once(signal, () => {
      log(`${signal}: cleaning up and exiting`);
      process.exit(code);
    });
  }
}

async function main(): Promise<number> {
  let plan: BenchPlan;
  try {
    plan = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    // parseArgs throws TypeError with an ERR_PARSE_ARGS_* code for unknown or malformed flags.
    if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
    if (error.message !== '') process.stderr.write(`${error.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    return error.message === '' ? 0 : 2;
  }
  requireRoot('bench:fleet');
  exitOnSignals();
  const leftovers = [...(await cleanupStale()), ...(await cleanupStaleTmpfs())];
  if (leftovers.length > 0) log(`removed an earlier run's leftovers: ${leftovers.join(', ')}`);
  const budget = plan.cells.reduce((sum, cell) => sum + budgetSeconds(cell), 0);
  log(`time bound ${budget} s`);
  const watchdog = setTimeout(() => {
    log(`exceeded its time bound of ${budget} s; cleaning up and exiting`);
    process.exit(124);
  }, budget * 1000);
  watchdog.unref();
  try {
    const reports: BenchReport[] = [];
    for (const cell of plan.cells) {
      log(
        `cell ${cell.cell}: N = ${cell.nodes.join(', ')}, S = ${cell.sizeMiB} MiB, B = ${cell.rateMbit} Mbit/s`,
      );
      reports.push(await runCell(cell));
    }
    process.stdout.write(
      plan.json ? `${JSON.stringify(reports, null, 2)}\n` : reports.map((r) => formatTables(r)).join('\n'),
    );
    return 0;
  } finally {
    clearTimeout(watchdog);
  }
}

/** One cell of the sweep: its archive, then per N a fresh network and every phase. */
async function runCell(options: BenchOptions): Promise<BenchReport> {
  const started = performance.now();
  const maxNodes = Math.max(...options.nodes);
  // Caps, not reservations: tmpfs takes pages only as files are written. Per node at most one received
  // copy, the content store and the unpacked snapshots: about 3 S.
  const store = await mountTmpfs({ sizeMiB: 2 * options.sizeMiB + 64, prefix: 'airlift-archive' });
  const data = await mountTmpfs({
    sizeMiB: maxNodes * (3 * options.sizeMiB + 64) + 256,
    prefix: 'airlift-data',
  });
  try {
    log(`writing a ${options.sizeMiB} MiB sample bundle to ${store.path}`);
    const archive = await writeBenchArchive(store.path, options.sizeMiB);
    const steps: StepResult[] = [];
    for (const nodeCount of options.nodes) {
      const network = await createNodeNetwork({
        count: nodeCount,
        rateMbit: options.rateMbit,
        coordinatorRateMbit: options.coordinatorRateMbit,
      });
      try {
        const step: StepContext = { options, nodeCount, network, data, archive };
        const phases: PhaseResult[] = [];
        for (const phase of options.phases) {
          const result = await runPhase(step, phase);
          log(`N=${nodeCount} ${phase}: ${result.seconds?.toFixed(1) ?? '-'} s ${result.error ?? ''}`);
          phases.push(result);
        }
        steps.push({ nodes: nodeCount, phases, ratios: ratiosOf(phases) });
      } finally {
        await network.destroy();
      }
    }
    return {
      machine: await machine(),
      options,
      archive: { sizeBytes: archive.sizeBytes, references: archive.references.length },
      steps,
      totalSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await data.remove();
    await store.remove();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench:fleet failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
