import type { JobStages, StageSpread } from './stages.js';
import type { AgentCounters, LoopDelay } from './worker-protocol.js';
import type { ControlPlaneOptions } from './options.js';
import type { DistributeResult } from './distribute-phase.js';
import type { StatusResult } from './status-phase.js';

/** The issue's goals at 1,000 agents. */
export const GOALS = { statusMs: 1000, firstJobToBarrierMs: 5000 } as const;

/** nats-server's cost, per stage of the run. */
export interface NatsUse {
  readonly version: string;
  /** CPU seconds while the agents connected (TLS, nkey auth, subscriptions, first heartbeats). */
  readonly connectCpuSeconds: number;
  /** Heartbeats alone: % of one core over one quiet heartbeat interval. */
  readonly heartbeatCorePct: number;
  /** CPU seconds over the status runs. */
  readonly statusCpuSeconds: number;
  readonly distributeCpuSeconds: number;
  readonly totalCpuSeconds: number;
  /** Peak RSS sampled every 250 ms, and the kernel's high-water mark. */
  readonly peakRssMiB: number;
  readonly hwmMiB: number;
}

/** Everything one run measured, as the JSON line prints it. */
export interface ControlPlaneReport {
  readonly bench: 'control-plane';
  readonly note: string;
  readonly machine: Readonly<Record<string, string | number>>;
  readonly options: ControlPlaneOptions;
  readonly fleet: { readonly keygenSeconds: number; readonly connectSeconds: number };
  readonly status: StatusResult;
  /** The same CLI runs with the agent simulators stopped, as when agents live on their own nodes. */
  readonly statusAgentsPaused: StatusResult;
  readonly distribute: DistributeResult;
  readonly nats: NatsUse;
  readonly stages: JobStages;
  readonly agents: {
    readonly counters: AgentCounters;
    readonly workersCpuSeconds: number;
    /** The worst worker's event-loop delay: high means the simulation, not airlift, was the limit. */
    readonly workerLoopDelay: LoopDelay;
  };
  readonly goals: { readonly statusMedianUnder1s: boolean; readonly firstJobToBarrierUnder5s: boolean };
  readonly totalSeconds: number;
}

export const NOTE =
  'control plane only: real nats-server, real airlift status CLI and real distribute(); simulated agents move no data';

function spreadText(s: StageSpread): string {
  return `p50 ${s.p50} / p99 ${s.p99} / max ${s.max} ms`;
}

/** The human-readable result table. */
export function formatReport(r: ControlPlaneReport): string {
  const d = r.distribute;
  const s = r.status;
  const mark = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  const rows: [string, string, string][] = [
    ['measure', 'value', 'goal'],
    ['agents (identities, NATS connections)', `${r.options.agents} over ${r.options.workers} workers`, ''],
    ['fleet key generation (makeTestFleet)', `${r.fleet.keygenSeconds.toFixed(1)} s`, ''],
    ['all agents connected + first heartbeat', `${r.fleet.connectSeconds.toFixed(1)} s`, ''],
    [
      'airlift status --output json (min/median/max)',
      `${s.minMs} / ${s.medianMs} / ${s.maxMs} ms (${s.rows} rows, ${s.healthy} healthy)`,
      `< ${GOALS.statusMs} ms: ${mark(r.goals.statusMedianUnder1s)}`,
    ],
    ['  of which CLI start-up (airlift --version)', `${s.startupMs} ms`, ''],
    [
      '  same, agent simulators paused (min/median/max)',
      `${r.statusAgentsPaused.minMs} / ${r.statusAgentsPaused.medianMs} / ${r.statusAgentsPaused.maxMs} ms (start-up ${r.statusAgentsPaused.startupMs} ms)`,
      '',
    ],
    [
      'first job → barrier',
      `${d.barrierMs} ms (${d.ok}/${d.nodes} verified)`,
      `< ${GOALS.firstJobToBarrierMs} ms: ${mark(r.goals.firstJobToBarrierUnder5s)}`,
    ],
    ['  distribute() → first job (watch replay)', `${d.setupMs} ms`, ''],
    ['  first job → all jobs sent', `${d.allSentMs} ms`, ''],
    ['  first job → all acks in', `${d.allAckedMs} ms`, ''],
    ['  first job → all reports in', `${d.allReportedMs} ms`, ''],
    [
      '  ack round trip p50/p99/max',
      `${d.ackRoundTripMs.p50} / ${d.ackRoundTripMs.p99} / ${d.ackRoundTripMs.max} ms`,
      '',
    ],
    ['  per job: request → agent got it', spreadText(r.stages.delivery), ''],
    ['  per job: agent check + signed ack', spreadText(r.stages.agentCheck), ''],
    ['  per job: ack → coordinator has it', spreadText(r.stages.ackReturn), ''],
    ['  per job: report → distribute() has it', spreadText(r.stages.reportReturn), ''],
    [
      '  event-loop delay p99/max: coordinator / worst worker',
      `${d.coordinatorLoopDelay.p99Ms}/${d.coordinatorLoopDelay.maxMs} / ${r.agents.workerLoopDelay.p99Ms}/${r.agents.workerLoopDelay.maxMs} ms`,
      '',
    ],
    [
      '  job size on the bus',
      `${(d.jobBytes / 1024).toFixed(1)} KiB (${d.pieces} pieces, ${d.references} refs)`,
      '',
    ],
    ['coordinator CPU over distribute()', `${d.coordinatorCpuMs} ms`, ''],
    [
      'CPU over distribute(): machine / this bench',
      `${d.machineCpu.meanPct} / ${d.machineCpu.benchMeanPct} % of ${d.machineCpu.cores} cores (peak ${d.machineCpu.peakPct} / ${d.machineCpu.benchPeakPct})`,
      '',
    ],
    [
      'nats-server CPU: connect / status / distribute',
      `${r.nats.connectCpuSeconds} / ${r.nats.statusCpuSeconds} / ${r.nats.distributeCpuSeconds} s`,
      '',
    ],
    ['nats-server CPU: heartbeats alone', `${r.nats.heartbeatCorePct} % of a core`, ''],
    ['nats-server CPU whole run', `${r.nats.totalCpuSeconds} s`, ''],
    ['nats-server peak RSS (sampled / VmHWM)', `${r.nats.peakRssMiB} / ${r.nats.hwmMiB} MiB`, ''],
    ['agent workers CPU whole run', `${r.agents.workersCpuSeconds} s`, ''],
    [
      'agents: heartbeats (failed) / acks / events',
      `${r.agents.counters.heartbeats} (${r.agents.counters.heartbeatFailures}) / ${r.agents.counters.jobsAccepted} accepted, ${r.agents.counters.jobsRefused} refused / ${r.agents.counters.eventsPublished}`,
      '',
    ],
  ];
  const widths = [0, 1].map((c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  const lines = rows.map(([a, b, c]) =>
    `${a.padEnd(widths[0] ?? 0)}  ${b.padEnd(widths[1] ?? 0)}  ${c}`.trimEnd(),
  );
  if (d.problems.length > 0)
    lines.push('', `failed nodes (first ${d.problems.length}):`, ...d.problems.map((p) => `  ${p}`));
  lines.push(
    '',
    NOTE,
    `machine: ${Object.entries(r.machine)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `total ${r.totalSeconds.toFixed(0)} s`,
  );
  return `${lines.join('\n')}\n`;
}
