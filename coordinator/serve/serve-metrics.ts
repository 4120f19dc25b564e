import { Counter, Gauge, Registry } from 'prom-client';
import { RUN_PHASES } from '../../shared/control/index.js';
import type { AgentHealth } from '../fleet/index.js';
import type { FleetModel } from './fleet-model.js';

/** Every health `airlift_serve_agents` reports, so a health with no agent shows 0 rather than nothing. */
export const AGENT_HEALTHS: readonly AgentHealth[] = ['healthy', 'stale', 'down'];

/** Where the metrics read their values at scrape time. */
export interface ServeMetricsSources {
  readonly model: FleetModel;
  /** Connected to NATS with the watches running. */
  readonly live: () => boolean;
}

/**
 * The fleet and run metrics of `airlift serve`, in a registry of its own. Every value is read from the
 * model when scraped; per-node series exist only for the nodes of the current run (one pair per node).
 */
export class ServeMetrics {
  readonly registry = new Registry();

  constructor(private readonly sources: ServeMetricsSources) {
    this.registerFleet();
    this.registerRun();
  }

  /** The registry's text exposition format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The Content-Type of text(). */
  get contentType(): string {
    return this.registry.contentType;
  }

  private registerFleet(): void {
    const up: Gauge = new Gauge({
      name: 'airlift_serve_control_plane_up',
      help: 'Whether airlift serve is connected to NATS with its watches running (1) or not (0)',
      registers: [this.registry],
      collect: () => {
        up.set(this.sources.live() ? 1 : 0);
      },
    });
    const agents: Gauge<'health'> = new Gauge({
      name: 'airlift_serve_agents',
      help: 'Agents in the fleet registry by health, judged from the age of their last heartbeat',
      labelNames: ['health'],
      registers: [this.registry],
      collect: () => {
        const counts = new Map<string, number>(AGENT_HEALTHS.map((h) => [h, 0]));
        for (const row of this.sources.model.agents()) {
          counts.set(row.health, (counts.get(row.health) ?? 0) + 1);
        }
        agents.reset();
        for (const [health, count] of counts) agents.set({ health }, count);
      },
    });
  }

  private registerRun(): void {
    const model = this.sources.model;
    const phase: Gauge<'phase'> = new Gauge({
      name: 'airlift_serve_run_phase',
      help: 'The phase of the current (latest) run: 1 for its phase, 0 for the others; no series before any run',
      labelNames: ['phase'],
      registers: [this.registry],
      collect: () => {
        phase.reset();
        const current = model.run?.phase;
        if (current === undefined) return;
        for (const name of RUN_PHASES) phase.set({ phase: name }, name === current ? 1 : 0);
      },
    });
    this.nodeGauge(
      'airlift_serve_node_bytes_done',
      'Bytes of the archive a node of the current run has received',
      'bytesDone',
    );
    this.nodeGauge(
      'airlift_serve_node_bytes_total',
      'Bytes of the archive a node of the current run must receive',
      'bytesTotal',
    );
    const failures: Counter<'class'> = new Counter({
      name: 'airlift_serve_node_failures_total',
      help: 'Node failures seen since airlift serve started, by class: the error code the node reported, or the coordinator reason (NO_REPORT, AGENT_LOST, NOT_VERIFIED…)',
      labelNames: ['class'],
      registers: [this.registry],
      collect: () => {
        failures.reset();
        for (const [cls, count] of model.failureCounts()) failures.inc({ class: cls }, count);
      },
    });
  }

  private nodeGauge(name: string, help: string, field: 'bytesDone' | 'bytesTotal'): void {
    const gauge: Gauge<'node'> = new Gauge({
      name,
      help,
      labelNames: ['node'],
      registers: [this.registry],
      collect: () => {
        // Reset first: the nodes of a finished run must not linger as series once another run starts.
        gauge.reset();
        const run = this.sources.model.run;
        if (run === undefined) return;
        for (const [node, state] of Object.entries(run.nodes)) gauge.set({ node }, state[field]);
      },
    });
  }
}
