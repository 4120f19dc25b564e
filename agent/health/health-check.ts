import type { AgentHealthView } from './health-view.js';

/** How old the last runtime answer may be before the agent counts as unhealthy (default). */
export const RUNTIME_STALE_MS = 60_000;

/** The verdict `/healthz` reports. */
export type HealthVerdict =
  | { readonly ok: true; readonly state: AgentHealthView['state'] }
  | { readonly ok: false; readonly state: AgentHealthView['state']; readonly reason: string };

/**
 * Healthy: running (ready or busy), connected to NATS, and the runtime answered recently. A busy agent
 * whose runtime last answered well stays healthy however long the job runs: the heartbeat does not
 * probe during a job (the job itself talks to the runtime), and a liveness probe must not kill it.
 */
export function judgeHealth(view: AgentHealthView, runtimeStaleMs = RUNTIME_STALE_MS): HealthVerdict {
  const { state } = view;
  if (state === 'draining' || state === 'stopped') return { ok: false, state, reason: `agent is ${state}` };
  if (!view.busConnected) return { ok: false, state, reason: 'control plane (NATS) is not connected' };
  const runtime = view.runtime;
  if (runtime === undefined) return { ok: false, state, reason: 'the runtime has not answered yet' };
  if (!runtime.ok) return { ok: false, state, reason: 'the runtime did not answer its last probe' };
  if (runtime.ageMs > runtimeStaleMs && state !== 'busy') {
    return {
      ok: false,
      state,
      reason: `the runtime last answered ${Math.round(runtime.ageMs / 1000)} s ago`,
    };
  }
  return { ok: true, state };
}
