import type { NetnsEndpoint, NodeNetwork } from '../../helpers/netns.js';
import { startCpuSampler } from './cpu-sampler.js';
import type { CpuUse } from './cpu-sampler.js';
import type { PhaseName } from './options.js';
import { startRssSampler } from './rss-sampler.js';
import type { RssPeak } from './rss-sampler.js';

/** What a phase body reports: its headline time and any parts worth showing. */
export interface PhaseOutcome {
  readonly seconds: number;
  readonly detail?: Readonly<Record<string, number>>;
}

/** One phase's figures; `error` instead of `seconds` when it failed or is not wired yet. */
export interface PhaseResult {
  readonly phase: PhaseName;
  readonly seconds?: number;
  readonly error?: string;
  readonly cpu: CpuUse;
  /** By group: 'coordinator', 'agent', … */
  readonly peakRss: Readonly<Record<string, RssPeak>>;
  /** Bytes the coordinator's eth0 sent during the phase (frames, so TCP/IP headers included). */
  readonly coordinatorTxBytes?: number;
  readonly detail: Readonly<Record<string, number>>;
}

/** Lets a phase body register the processes whose memory counts. */
export interface PhaseProbe {
  watch(group: 'coordinator' | 'agent' | 'node', pid: number): void;
}

/**
 * Runs one timed phase body under CPU and RSS sampling and, given a network, the coordinator's tx
 * counter. Setup (starting runtimes) belongs outside, so it is neither timed nor sampled. A failing
 * body becomes a result with `error`: one broken phase must not cost the rest of a 20-minute sweep.
 */
export async function measurePhase(
  phase: PhaseName,
  network: NodeNetwork | undefined,
  body: (probe: PhaseProbe) => Promise<PhaseOutcome>,
): Promise<PhaseResult> {
  const coordinator: NetnsEndpoint | undefined = network?.coordinator;
  const txBefore = coordinator === undefined ? undefined : (await network?.counters(coordinator))?.txBytes;
  const rss = startRssSampler();
  const cpu = startCpuSampler();
  let outcome: PhaseOutcome | undefined;
  let error: string | undefined;
  try {
    outcome = await body({
      watch: (group, pid) => {
        rss.watch(group, pid);
      },
    });
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
  }
  const cpuUse = cpu.stop();
  const peakRss = rss.stop();
  const txAfter =
    coordinator === undefined
      ? undefined
      : (await network?.counters(coordinator).catch(() => undefined))?.txBytes;
  return {
    phase,
    ...(outcome === undefined ? {} : { seconds: outcome.seconds }),
    ...(error === undefined ? {} : { error }),
    cpu: cpuUse,
    peakRss,
    ...(txBefore === undefined || txAfter === undefined ? {} : { coordinatorTxBytes: txAfter - txBefore }),
    detail: outcome?.detail ?? {},
  };
}
