import { Counter, Gauge, Registry } from 'prom-client';
import { NODE_PHASES } from '../../shared/control/index.js';
import { RUNTIME_STALE_MS } from './health-check.js';
import type { AgentHealthView, ServedTotals } from './health-view.js';

/** The phases `airlift_agent_job_phase` reports: a job's phases as the wire defines them, `idle` without one. */
export const JOB_PHASES: readonly string[] = ['idle', ...NODE_PHASES];

/** Where the metrics read their values at scrape time. */
export interface MetricsSources {
  readonly view: () => AgentHealthView;
  /** The data-plane server's counters; absent: the served metrics stay 0. */
  readonly served?: () => ServedTotals;
  /** How old the runtime's last answer may be for `airlift_agent_runtime_up` to be 1. */
  readonly runtimeStaleMs?: number;
}

/**
 * The agent's Prometheus metrics, in a registry of its own (not prom-client's global one) so two agents
 * in one process, or two tests, never share values. Every value is read from the daemon's state when
 * scraped: nothing is counted twice, and nothing on the job's hot path changes.
 */
export class AgentMetrics {
  readonly registry = new Registry();

  constructor(private readonly sources: MetricsSources) {
    this.registerHealth();
    this.registerTransfer();
    this.registerJob();
  }

  /** The registry's text exposition format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The Content-Type of text(). */
  get contentType(): string {
    return this.registry.contentType;
  }

  private gauge(name: string, help: string, read: (view: AgentHealthView) => number): void {
    const gauge: Gauge = new Gauge({
      name,
      help,
      registers: [this.registry],
      collect: () => {
        gauge.set(read(this.sources.view()));
      },
    });
  }

  /** A monotonic total kept by the daemon, exposed as a counter. */
  private counter(name: string, help: string, read: () => number): void {
    const counter: Counter = new Counter({
      name,
      help,
      registers: [this.registry],
      collect: () => {
        counter.reset();
        counter.inc(read());
      },
    });
  }

  private registerHealth(): void {
    const staleMs = this.sources.runtimeStaleMs ?? RUNTIME_STALE_MS;
    this.gauge(
      'airlift_agent_heartbeat_age_seconds',
      'Seconds since the last heartbeat was stored in the fleet registry (-1 before the first)',
      (view) => (view.heartbeatAgeMs === undefined ? -1 : view.heartbeatAgeMs / 1000),
    );
    this.gauge(
      'airlift_agent_runtime_up',
      'Whether the container runtime answered its last probe recently (1) or not (0)',
      ({ runtime, state }) =>
        runtime !== undefined && runtime.ok && (runtime.ageMs <= staleMs || state === 'busy') ? 1 : 0,
    );
    this.gauge(
      'airlift_agent_control_plane_up',
      'Whether the agent is connected to NATS (1) or not (0)',
      (view) => (view.busConnected ? 1 : 0),
    );
  }

  private registerTransfer(): void {
    const view = (): AgentHealthView => this.sources.view();
    const served = (): ServedTotals => this.sources.served?.() ?? { bytes: 0, fetches: 0 };
    this.registerReceived(view);
    this.counter(
      'airlift_agent_served_bytes_total',
      'Archive bytes served to other nodes',
      () => served().bytes,
    );
    this.counter(
      'airlift_agent_served_pieces_total',
      'Archive pieces served to other nodes',
      () => served().pieces ?? 0,
    );
    this.counter(
      'airlift_agent_served_fetches_total',
      'Fetches (piece streams) other nodes started from this agent',
      () => served().fetches,
    );
    this.counter(
      'airlift_agent_data_plane_refusals_total',
      'Data-plane calls refused: no valid client certificate, or a caller not allowed the archive',
      () => served().refused ?? 0,
    );
  }

  private registerReceived(view: () => AgentHealthView): void {
    this.counter(
      'airlift_agent_received_bytes_total',
      'Archive bytes received from sources, counted when a transfer ends',
      () => view().received.bytes,
    );
    this.counter(
      'airlift_agent_received_pieces_total',
      'Archive pieces received from sources, counted when a transfer ends',
      () => view().received.pieces,
    );
    this.counter(
      'airlift_agent_corrupt_pieces_total',
      'Pieces received that failed their checksum and were fetched again',
      () => view().received.corruptPieces,
    );
  }

  private registerJob(): void {
    const phase: Gauge<'phase'> = new Gauge({
      name: 'airlift_agent_job_phase',
      help: 'The phase of the job in hand: 1 for the current phase, 0 for the others (idle: no job)',
      labelNames: ['phase'],
      registers: [this.registry],
      collect: () => {
        const current = this.sources.view().job?.phase ?? 'idle';
        phase.reset();
        for (const name of JOB_PHASES) phase.set({ phase: name }, name === current ? 1 : 0);
        // A phase this list does not know yet still shows, rather than no phase at all.
        if (!JOB_PHASES.includes(current)) phase.set({ phase: current }, 1);
      },
    });
    this.gauge(
      'airlift_agent_job_bytes_done',
      'Bytes of the archive the job in hand has received so far (0 without a job)',
      (view) => view.job?.bytesDone ?? 0,
    );
    this.gauge(
      'airlift_agent_job_duration_seconds',
      'Seconds since the job in hand was accepted (0 without a job)',
      (view) => view.job?.seconds ?? 0,
    );
    this.gauge(
      'airlift_agent_last_job_duration_seconds',
      'How long the last finished job took (-1 before the first)',
      (view) => view.lastJob?.seconds ?? -1,
    );
    this.gauge(
      'airlift_agent_last_job_ok',
      'Whether the last finished job succeeded (1) or not (0); -1 before the first',
      (view) => (view.lastJob === undefined ? -1 : view.lastJob.ok ? 1 : 0),
    );
    this.counter(
      'airlift_agent_job_refusals_total',
      'Job messages this agent refused: unsigned, forged, replayed, stale, for another node, or while busy or draining',
      () => this.sources.view().refusalsTotal,
    );
  }
}
