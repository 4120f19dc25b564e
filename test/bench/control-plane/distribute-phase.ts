import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import type { Logger } from 'pino';

import { FleetRegistry } from '../../../coordinator/fleet/index.js';
import { distribute } from '../../../coordinator/upgrade/distribute.js';
import { newRunId } from '../../../coordinator/upgrade/run-id.js';
import { RunStore } from '../../../coordinator/upgrade/run-store.js';
import { UPGRADE_DEFAULTS } from '../../../coordinator/upgrade/upgrade-request.js';
import type { Bus } from '../../../shared/bus/bus.js';
import { Subjects, type RunState } from '../../../shared/control/index.js';
import { seal, type TrustContext } from '../../../shared/trust/index.js';
import { startCpuSampler, type CpuUse } from '../fleet/cpu-sampler.js';
import { cpuSecondsOf } from '../fleet/proc-tree.js';
import { payloadBuilder, type PayloadShape } from './job-payload.js';
import { TimedBus } from './timed-bus.js';
import { epochNow } from './worker-protocol.js';

/** One run of the real distribute() against the simulated fleet. */
export interface DistributeResult {
  readonly runId: string;
  readonly nodes: number;
  readonly ok: number;
  readonly failed: number;
  /** First failures, for the report. */
  readonly problems: readonly string[];
  /** One job as signed on the bus, bytes. */
  readonly jobBytes: number;
  readonly pieces: number;
  readonly references: number;
  /** distribute() called → first job sent: the events subscription and the agent watch's replay. */
  readonly setupMs: number;
  /** First job sent → last job sent, → every ack in, → every report in, → barrier (distribute returned). */
  readonly allSentMs: number;
  readonly allAckedMs: number;
  readonly allReportedMs: number;
  readonly barrierMs: number;
  readonly ackRoundTripMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** The coordinator process's CPU over the window (user + system), ms. */
  readonly coordinatorCpuMs: number;
  readonly natsCpuSeconds: number;
  readonly machineCpu: CpuUse;
  readonly cpuProfile: string | undefined;
  /** The coordinator's event-loop delay over the window: how long a message could wait to be read. */
  readonly coordinatorLoopDelay: { readonly p99Ms: number; readonly maxMs: number };
}

/** Per node, epoch ms: job request sent, its ack in, its report in (what stages.ts pairs with the agents'). */
export interface CoordinatorTimeline {
  readonly perNode: ReadonlyMap<string, { sentAt: number; answeredAt: number; reportSeenAt?: number }>;
}

/** What the phase runs against. */
export interface DistributeInput {
  readonly bus: Bus;
  readonly trust: TrustContext;
  readonly shape: PayloadShape;
  readonly natsPid: number;
  readonly cpuProfDir: string | undefined;
  readonly runDir: string;
  readonly logger: Logger;
}

/**
 * As `airlift upgrade` after preflight: a FleetRegistry and a RunStore on the coordinator's bus, the
 * targets from the registry, then the real distribute() to every node at once, timed from the first
 * job request to its return (where upgrade-run enters the barrier).
 */
export async function runDistribute(
  input: DistributeInput,
): Promise<{ result: DistributeResult; timeline: CoordinatorTimeline }> {
  const fleet = await FleetRegistry.open(input.bus, input.trust.policy, undefined, input.logger);
  const rows = await fleet.list();
  const targets = rows.map((row) => ({ node: row.node, grpcAddress: row.heartbeat.grpcAddress }));
  const nodes = targets.map((t) => t.node);
  const { payloadFor, references, pieces } = payloadBuilder(targets, input.shape);
  const runId = newRunId();
  const store = await RunStore.create(input.bus, initialState(runId, nodes, references, input), input.logger);
  store.phase('distributing');
  await store.flush();
  const bus = new TimedBus(input.bus);
  let reports = 0;
  let lastReportAt = 0;
  const reportSeen = new Map<string, number>();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const sample = nodes[0] ?? 'node';
  const jobBytes = seal(
    'job',
    {
      v: 1,
      kind: 'load-images',
      jobId: `${runId}-n0`,
      runId,
      node: sample,
      issuedAt: new Date().toISOString(),
      payload: payloadFor(sample),
    },
    input.trust.sealer,
  ).length;

  const profiler = input.cpuProfDir === undefined ? undefined : new Session();
  if (profiler !== undefined) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const sampler = startCpuSampler(500);
  loop.enable();
  const natsBefore = cpuSecondsOf(input.natsPid)?.self ?? 0;
  const cpuBefore = process.cpuUsage();
  const calledAt = performance.now();
  const outcomes = await distribute({
    bus,
    fleet,
    store,
    trust: input.trust,
    runId,
    nodes,
    payloadFor,
    timeoutMs: input.shape.timeoutMs,
    ackTimeoutMs: UPGRADE_DEFAULTS.ackTimeoutMs,
    livenessCheckMs: UPGRADE_DEFAULTS.livenessCheckMs,
    signal: new AbortController().signal,
    logger: input.logger,
    onEvent: (event) => {
      if (event.body.type !== 'report') return;
      reports++;
      lastReportAt = performance.now();
      reportSeen.set(event.node, epochNow());
    },
  });
  const barrierAt = performance.now();
  loop.disable();
  const cpu = process.cpuUsage(cpuBefore);
  const natsAfter = cpuSecondsOf(input.natsPid)?.self ?? natsBefore;
  const machineCpu = sampler.stop();
  store.phase('barrier');
  await store.flush();
  let cpuProfile: string | undefined;
  if (profiler !== undefined && input.cpuProfDir !== undefined) {
    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    await mkdir(input.cpuProfDir, { recursive: true });
    cpuProfile = join(input.cpuProfDir, `coordinator-distribute-${runId}.cpuprofile`);
    await writeFile(cpuProfile, JSON.stringify(profile));
  }

  const t = bus.times;
  const first = t.firstSentAt ?? calledAt;
  const since = (at: number | undefined): number => Math.round((at ?? first) - first);
  const failed = outcomes.filter((o) => !o.ok);
  const trips = [...t.roundTripsMs].sort((a, b) => a - b);
  const pct = (p: number): number =>
    Math.round(trips[Math.min(trips.length - 1, Math.floor(p * trips.length))] ?? 0);
  const perNode = new Map<string, { sentAt: number; answeredAt: number; reportSeenAt?: number }>();
  for (const node of nodes) {
    const request = t.perSubject.get(Subjects.job(node));
    if (request === undefined) continue;
    const seen = reportSeen.get(node);
    perNode.set(node, { ...request, ...(seen === undefined ? {} : { reportSeenAt: seen }) });
  }
  const result: DistributeResult = {
    runId,
    nodes: nodes.length,
    ok: outcomes.length - failed.length,
    failed: failed.length,
    problems: failed.slice(0, 5).map((o) => `${o.node}: ${o.problem ?? 'failed'}`),
    jobBytes,
    pieces,
    references,
    setupMs: Math.round(first - calledAt),
    allSentMs: since(t.lastSentAt),
    allAckedMs: since(t.lastAnsweredAt),
    allReportedMs: reports === 0 ? -1 : since(lastReportAt),
    barrierMs: since(barrierAt),
    ackRoundTripMs: { p50: pct(0.5), p99: pct(0.99), max: Math.round(trips[trips.length - 1] ?? 0) },
    coordinatorCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    natsCpuSeconds: round2(natsAfter - natsBefore),
    machineCpu,
    cpuProfile,
    coordinatorLoopDelay: { p99Ms: Math.round(loop.percentile(99) / 1e6), maxMs: Math.round(loop.max / 1e6) },
  };
  return { result, timeline: { perNode } };
}

function initialState(
  runId: string,
  nodes: readonly string[],
  expected: number,
  input: DistributeInput,
): RunState {
  const now = new Date().toISOString();
  const node = {
    status: 'pending' as const,
    phase: 'pending',
    bytesDone: 0,
    bytesTotal: input.shape.archiveMiB * 1024 * 1024,
    verified: 0,
    expected,
  };
  return {
    v: 1,
    runId,
    release: 'kairship',
    namespace: 'kairship-system',
    bundle: '/var/lib/airlift/bundles/kairship_0.21.0.bundle.tar',
    chartVersion: '0.21.0',
    imageRegistry: '10.6.0.1',
    runDir: input.runDir,
    startedAt: now,
    updatedAt: now,
    phase: 'preflight',
    nodes: Object.fromEntries(nodes.map((name) => [name, node])),
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
