// Diagnostics of the airlift phases: where CPU went, and knobs to look closer (logs, profiles).
import { cp } from 'node:fs/promises';
import { join } from 'node:path';

import { cpuSecondsOf } from './proc-tree.js';

// AIRLIFT_BENCH_KEEP=<dir>: copy the logs and run.json of every airlift phase there before cleanup, for
// looking into one node's time (source switches, stalls) after the run.
export async function keepForInspection(root: string, mode: string, nodeCount: number): Promise<void> {
  const keep = process.env['AIRLIFT_BENCH_KEEP'];
  if (keep === undefined || keep === '') return;
  const target = join(keep, `n${nodeCount}-${mode}-${Date.now()}`);
  await cp(root, target, {
    recursive: true,
    filter: (src) => !src.includes('/spool') && !src.includes('/js') && !src.includes('/pieces'),
  }).catch(() => undefined);
}

// AIRLIFT_BENCH_AGENT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof": node flags for every agent, and
// AIRLIFT_BENCH_COORDINATOR_NODE_ARGS for `airlift upgrade`, to profile them (NODE_OPTIONS refuses --cpu-prof).
export function profilingArgs(side: 'agent' | 'coordinator'): string[] {
  const flags =
    process.env[side === 'agent' ? 'AIRLIFT_BENCH_AGENT_NODE_ARGS' : 'AIRLIFT_BENCH_COORDINATOR_NODE_ARGS'];
  return flags === undefined || flags.trim() === '' ? [] : flags.trim().split(/\s+/);
}

/** CPU seconds so far of the fleet's parts: agents (JS), their ctr children, containerd, NATS. */
export function cpuOfFleet(
  agents: readonly number[],
  containerds: readonly number[],
  natsPid: number,
): { agents: number; ctr: number; containerd: number; nats: number } {
  const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
  const agentCpu = agents.map((pid) => cpuSecondsOf(pid) ?? { self: 0, children: 0 });
  return {
    agents: sum(agentCpu.map((c) => c.self)),
    ctr: sum(agentCpu.map((c) => c.children)),
    containerd: sum(containerds.map((pid) => cpuSecondsOf(pid)?.self ?? 0)),
    nats: cpuSecondsOf(natsPid)?.self ?? 0,
  };
}
