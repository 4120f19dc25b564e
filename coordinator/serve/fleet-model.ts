import type { Heartbeat, RunState } from '../../shared/control/index.js';
import { classifyAgent, DEFAULT_THRESHOLDS, type AgentRow, type HealthThresholds } from '../fleet/index.js';
import { failureClass } from './failure-class.js';

/**
 * What `airlift serve` knows of the fleet and the current run, fed by its watches of the fleet registry
 * and the runs bucket. Agents are judged when read (an agent that stops beating turns stale, then down,
 * without a new message); every change calls the listeners so the dashboard can push an update.
 */
export class FleetModel {
  private readonly heartbeats = new Map<string, Heartbeat>();
  private currentRun: RunState | undefined;
  private readonly failures = new Map<string, number>();
  /**
   * `runId/node` of the node failures counted and still standing, so a rewritten run record does not
   * count one twice; a node retried by `airlift resume` leaves it, and its next failure counts again.
   */
  private readonly counted = new Set<string>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly thresholds: HealthThresholds = DEFAULT_THRESHOLDS) {}

  /** Calls `listener` after every change; returns a function that removes it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** An agent's latest (already verified) heartbeat. */
  applyHeartbeat(heartbeat: Heartbeat): void {
    this.heartbeats.set(heartbeat.node, heartbeat);
    this.changed();
  }

  /** Replaces the whole fleet with what the registry holds now (forgotten nodes disappear). */
  replaceFleet(heartbeats: readonly Heartbeat[]): void {
    this.heartbeats.clear();
    for (const heartbeat of heartbeats) this.heartbeats.set(heartbeat.node, heartbeat);
    this.changed();
  }

  /**
   * A run record as stored: it becomes the current run when it is the current one updated, or a run
   * started no earlier than the current one (a new `airlift upgrade`).
   */
  applyRun(state: RunState): void {
    const current = this.currentRun;
    if (current !== undefined && current.runId !== state.runId && state.startedAt < current.startedAt) return;
    this.currentRun = state;
    this.countFailures(state);
    this.changed();
  }

  /** A run record was deleted: when it was the current run, there is none until the next one. */
  forgetRun(runId: string): void {
    if (this.currentRun?.runId !== runId) return;
    this.currentRun = undefined;
    this.changed();
  }

  /** Every agent judged at `now`, sorted by node name. */
  agents(now = Date.now()): AgentRow[] {
    return [...this.heartbeats.values()]
      .map((heartbeat) => classifyAgent(heartbeat, now, this.thresholds))
      .sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  }

  /** The latest run, if any was seen. */
  get run(): RunState | undefined {
    return this.currentRun;
  }

  /** Node failures seen since this process started, by class (error code, or NOT_VERIFIED). */
  failureCounts(): ReadonlyMap<string, number> {
    return this.failures;
  }

  private countFailures(state: RunState): void {
    for (const [node, entry] of Object.entries(state.nodes)) {
      const key = `${state.runId}/${node}`;
      if (entry.status !== 'failed') {
        this.counted.delete(key);
        continue;
      }
      if (this.counted.has(key)) continue;
      this.counted.add(key);
      const cls = failureClass(entry.problem);
      this.failures.set(cls, (this.failures.get(cls) ?? 0) + 1);
    }
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
