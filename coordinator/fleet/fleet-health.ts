import type { Heartbeat } from '../../shared/control/index.js';

/** How alive an agent looks from its last heartbeat. */
export type AgentHealth = 'healthy' | 'stale' | 'down';

/** When a silent agent turns stale and then down, in multiples of its own heartbeat interval. */
export interface HealthThresholds {
  /** Missed beats before an agent is stale (default 3). */
  readonly staleAfterBeats: number;
  /** Missed beats before it is down (default 10). */
  readonly downAfterBeats: number;
}

export const DEFAULT_THRESHOLDS: HealthThresholds = { staleAfterBeats: 3, downAfterBeats: 10 };

/** One agent as `airlift status` shows it. */
export interface AgentRow {
  readonly node: string;
  readonly health: AgentHealth;
  /** Milliseconds since the agent sent its last heartbeat. */
  readonly ageMs: number;
  readonly heartbeat: Heartbeat;
}

/**
 * Judges an agent by the age of its last heartbeat against its own interval; an agent that said
 * goodbye (`stopped`) is down at once rather than after a timeout.
 */
export function classifyAgent(
  heartbeat: Heartbeat,
  now: number,
  thresholds: HealthThresholds = DEFAULT_THRESHOLDS,
): AgentRow {
  const ageMs = Math.max(0, now - Date.parse(heartbeat.sentAt));
  const beats = ageMs / heartbeat.intervalMs;
  // A sentAt that does not parse proves nothing about liveness: treat it as never heard from.
  const health: AgentHealth =
    heartbeat.state === 'stopped' || Number.isNaN(beats) || beats > thresholds.downAfterBeats
      ? 'down'
      : beats > thresholds.staleAfterBeats
        ? 'stale'
        : 'healthy';
  return { node: heartbeat.node, health, ageMs, heartbeat };
}
