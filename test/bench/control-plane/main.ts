// `npm run bench:control-plane -- [--agents 1000] [--workers 4] [--json]`: N simulated agents (real
// identities, real NATS connections with per-identity permissions, signed heartbeats, acks, events and
// reports) against one nats-server on 127.0.0.1, and the real coordinator code against them: the
// `airlift status` CLI, and distribute() as `airlift upgrade` runs it. Control plane only: no data moves.
// Method and figures: docs/benchmarks.md ("Control-plane benchmark").
import { execa } from 'execa';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { FleetRegistry } from '../../../coordinator/fleet/index.js';
import { connectBus, type Bus } from '../../../shared/bus/index.js';
import { resolveTrust } from '../../../shared/cli/index.js';
import { createLogger } from '../../../shared/logging/index.js';
import { requireBinary } from '../../helpers/host-prereqs.js';
import type { NatsInstance } from '../../helpers/nats-instance.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { makeTestFleet } from '../../helpers/test-fleet.js';
import { cpuSecondsOf } from '../fleet/proc-tree.js';
import { startRssSampler } from '../fleet/rss-sampler.js';
import { startAgentPool, type AgentPool } from './agent-pool.js';
import { runDistribute } from './distribute-phase.js';
import { parseControlPlaneArgs, UsageError, USAGE, type ControlPlaneOptions } from './options.js';
import { formatReport, GOALS, NOTE, type ControlPlaneReport } from './report.js';
import { jobStages } from './stages.js';
import { measureStatus } from './status-phase.js';

const log = (line: string): void => {
  // stderr: stdout carries only the table and the JSON line.
  process.stderr.write(`bench:control-plane ${line}\n`);
};

/**
 * A signal ends the run at once: process.exit runs process-registry's exit hooks, which SIGKILL the
 * workers and nats-server and remove the temp dir.
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

function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    // A shared machine: what else ran while the bench did.
    loadAvg1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}

async function natsVersion(): Promise<string> {
  const result = await execa(requireBinary('nats-server'), ['--version'], { timeout: 5_000, reject: false });
  return result.stdout.trim().split(' ').pop() ?? 'unknown';
}

const nodeName = (i: number, width: number): string => `node-${String(i).padStart(width, '0')}`;
const cpuOf = (pid: number): number => cpuSecondsOf(pid)?.self ?? 0;
const round2 = (value: number): number => Math.round(value * 100) / 100;

async function run(options: ControlPlaneOptions): Promise<ControlPlaneReport> {
  const started = performance.now();
  const temp = makeTempDir('airlift-cp-bench');
  let nats: NatsInstance | undefined;
  let pool: AgentPool | undefined;
  let bus: Bus | undefined;
  const rss = startRssSampler(500);
  try {
    const width = Math.max(4, String(options.agents - 1).length);
    const names = Array.from({ length: options.agents }, (_, i) => nodeName(i, width));
    log(`generating a fleet of ${options.agents} identities (CA, nkeys, Ed25519 keys, certificates)`);
    const keygenAt = performance.now();
    const fleet = await makeTestFleet(join(temp.path, 'fleet'), names);
    const keygenSeconds = (performance.now() - keygenAt) / 1000;
    log(`fleet generated in ${keygenSeconds.toFixed(1)} s; starting nats-server`);
    nats = await fleet.startNats({ readyTimeoutMs: 30_000 });
    const natsPid = nats.pid();
    rss.watch('nats-server', natsPid);
    log(`nats-server ${nats.url} (pid ${natsPid})`);

    // The coordinator, as `airlift upgrade` connects: its identity, --nats given.
    const logger = createLogger({ level: process.env.AIRLIFT_LOG_LEVEL ?? 'error' });
    const setup = await resolveTrust(
      { identity: fleet.coordinatorFile, nats: nats.url },
      'coordinator',
      'airlift-bench-coordinator',
      { out: () => undefined, err: log },
      {},
    );
    bus = await connectBus({ ...setup.nats, name: 'airlift-bench-coordinator' }, logger);
    // The coordinator creates the fleet bucket; agents may only bind to it.
    await FleetRegistry.open(bus, setup.trust.policy, undefined, logger);

    const natsAtConnect = cpuOf(natsPid);
    log(`connecting ${options.agents} agents over ${options.workers} workers`);
    pool = await startAgentPool(
      names.map((name) => fleet.nodeFiles[name] ?? ''),
      {
        workers: options.workers,
        natsUrl: nats.url,
        heartbeatMs: options.heartbeatMs,
        jobMs: options.jobMs,
        spoolRoot: join(temp.path, 'spool'),
        connectConcurrency: options.connectConcurrency,
        readyTimeoutMs: Math.max(120_000, options.agents * 200),
        cpuProfDir: options.cpuProfDir,
        log,
      },
    );
    const connectCpu = cpuOf(natsPid) - natsAtConnect;
    for (const pid of pool.pids) rss.watch('agents', pid);
    log(`all agents up in ${(pool.connectMs / 1000).toFixed(1)} s; one quiet heartbeat interval`);

    const quietAt = cpuOf(natsPid);
    const quietStart = performance.now();
    await sleep(options.heartbeatMs);
    const heartbeatCorePct = round2(
      ((cpuOf(natsPid) - quietAt) / ((performance.now() - quietStart) / 1000)) * 100,
    );

    log(`airlift status × ${options.statusRuns}`);
    const statusAt = cpuOf(natsPid);
    const status = await measureStatus(
      fleet.coordinatorFile,
      nats.url,
      options.agents,
      options.statusRuns,
      options.cpuProfDir,
    );
    const statusCpu = cpuOf(natsPid) - statusAt;
    // On a real fleet the agents run on their own nodes, not on the coordinator's two cores: time the
    // CLI again with the simulators frozen (their last heartbeats, at most 5 s old, still read healthy).
    log(`status median ${status.medianMs} ms; again with the agent simulators paused`);
    const natsUrl = nats.url;
    const paused = await withPaused(pool.pids, () =>
      measureStatus(fleet.coordinatorFile, natsUrl, options.agents, 3),
    );
    log(`status median ${paused.medianMs} ms with the simulators paused; distributing one job to each agent`);

    const distributeAt = cpuOf(natsPid);
    const { result: distributeResult, timeline } = await runDistribute({
      bus,
      trust: setup.trust,
      shape: {
        archiveMiB: options.archiveMiB,
        pieceMiB: options.pieceMiB,
        images: options.images,
        timeoutMs: Math.max(60_000, options.jobMs * 4),
      },
      natsPid,
      cpuProfDir: options.cpuProfDir,
      runDir: join(temp.path, 'run'),
      logger,
    });
    const distributeCpu = cpuOf(natsPid) - distributeAt;
    log(
      `first job → barrier ${distributeResult.barrierMs} ms (${distributeResult.ok}/${distributeResult.nodes} ok)`,
    );

    // Let the agents' post-job heartbeats land before the counters are read.
    await sleep(500);
    const stopped = await pool.stop();
    const totalNatsCpu = cpuOf(natsPid);
    const peaks = rss.stop();
    const natsPeak = peaks['nats-server'];
    const MiB = 1024 * 1024;
    return {
      bench: 'control-plane',
      note: NOTE,
      machine: { ...machine(), natsServer: await natsVersion() },
      options,
      statusAgentsPaused: paused,
      fleet: { keygenSeconds: round2(keygenSeconds), connectSeconds: round2(pool.connectMs / 1000) },
      status,
      distribute: distributeResult,
      nats: {
        version: await natsVersion(),
        connectCpuSeconds: round2(connectCpu),
        heartbeatCorePct,
        statusCpuSeconds: round2(statusCpu),
        distributeCpuSeconds: round2(distributeCpu),
        totalCpuSeconds: round2(totalNatsCpu),
        peakRssMiB: Math.round((natsPeak?.peakTreeBytes ?? 0) / MiB),
        hwmMiB: Math.round((natsPeak?.peakRootHwmBytes ?? 0) / MiB),
      },
      stages: jobStages(timeline, stopped.jobs),
      agents: {
        counters: stopped.counters,
        workersCpuSeconds: round2(stopped.cpuMs / 1000),
        workerLoopDelay: stopped.loopDelay,
      },
      goals: {
        statusMedianUnder1s: status.medianMs < GOALS.statusMs,
        firstJobToBarrierUnder5s:
          distributeResult.failed === 0 && distributeResult.barrierMs < GOALS.firstJobToBarrierMs,
      },
      totalSeconds: round2((performance.now() - started) / 1000),
    };
  } finally {
    rss.stop();
    await pool?.stop().catch((err: unknown) => {
      log(`stopping the agents: ${(err as Error).message}`);
    });
    pool?.kill();
    await bus?.drain().catch(() => undefined);
    await nats?.stop().catch(() => undefined);
    await temp.remove();
  }
}

async function main(): Promise<number> {
  let options: ControlPlaneOptions;
  try {
    options = parseControlPlaneArgs(process.argv.slice(2));
  } catch (error) {
    // parseArgs throws TypeError with an ERR_PARSE_ARGS_* code for unknown or malformed flags.
    if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
    if (error.message !== '') process.stderr.write(`${error.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    return error.message === '' ? 0 : 2;
  }
  exitOnSignals();
  const watchdog = setTimeout(() => {
    log(`exceeded its time bound of ${options.maxSeconds} s; cleaning up and exiting`);
    process.exit(124);
  }, options.maxSeconds * 1000);
  watchdog.unref();
  try {
    const report = await run(options);
    if (!options.json) process.stdout.write(`${formatReport(report)}\n`);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return report.distribute.failed === 0 ? 0 : 1;
  } finally {
    clearTimeout(watchdog);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench:control-plane failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);

/** Runs `work` with the processes `pids` stopped (SIGSTOP), and continues them whatever happens. */
async function withPaused<T>(pids: readonly number[], work: () => Promise<T>): Promise<T> {
  for (const pid of pids) process.kill(pid, 'SIGSTOP');
  try {
    return await work();
  } finally {
    for (const pid of pids) process.kill(pid, 'SIGCONT');
  }
}
