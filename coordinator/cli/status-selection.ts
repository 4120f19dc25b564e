import { ExitCode } from '../../shared/cli/index.js';
import { ConfigInvalidError } from '../../shared/errors/index.js';
import type { AgentRow } from '../fleet/index.js';

/** The agents `airlift status` reports on, the `--nodes` names with no entry, and the exit code. */
export interface StatusVerdict {
  readonly rows: readonly AgentRow[];
  readonly missing: readonly string[];
  readonly exitCode: ExitCode;
}

/** Parses `--nodes a,b` into distinct node names; an empty list is a usage error. */
export function parseNodeList(text: string): string[] {
  const names = [...new Set(text.split(',').map((name) => name.trim()))].filter((name) => name !== '');
  if (names.length === 0)
    throw new ConfigInvalidError('command line', '--nodes', 'name at least one node, such as --nodes a,b');
  return names;
}

/**
 * Keeps the targeted rows (all when `nodes` is undefined) and judges them: healthy only when every
 * target announced itself and is healthy. An empty fleet is unhealthy: nothing proves the agents run.
 */
export function judgeStatus(all: readonly AgentRow[], nodes?: readonly string[]): StatusVerdict {
  const rows = nodes === undefined ? all : all.filter((row) => nodes.includes(row.node));
  const missing = nodes === undefined ? [] : nodes.filter((node) => !all.some((row) => row.node === node));
  const healthy = rows.length > 0 && missing.length === 0 && rows.every((row) => row.health === 'healthy');
  return { rows, missing, exitCode: healthy ? ExitCode.Ok : ExitCode.Unhealthy };
}

/** The stderr line naming `--nodes` targets that have no entry, or undefined when there are none. */
export function missingNodesMessage(missing: readonly string[]): string | undefined {
  if (missing.length === 0) return undefined;
  return `airlift: no heartbeat in the fleet registry from ${missing.join(', ')}: check the names, or start \`airlift agent\` there`;
}
