import { parse as parseYaml } from 'yaml';
import type { HistoryEntry } from '../kube/index.js';

/** What `airlift rollback` would change, for the operator to confirm. */
export interface RollbackChange {
  /** The release's current revision (the last one helm history lists). */
  readonly current: HistoryEntry | undefined;
  /** The revision recorded before the run; undefined when helm history no longer lists it. */
  readonly target: HistoryEntry | undefined;
  /** True when the release is at the recorded revision already: nothing to roll back. */
  readonly unchanged: boolean;
}

/** Compares helm history's current revision with the recorded one. */
export function rollbackChange(entries: readonly HistoryEntry[], revision: number): RollbackChange {
  const current = entries.at(-1);
  const target = entries.find((e) => e.revision === revision);
  return { current, target, unchanged: current?.revision === revision };
}

/** One line per revision: `revision 3: chart mymodule-1.2.0, app 1.2.0, failed (Upgrade failed…)`. */
export function describeRevision(entry: HistoryEntry | undefined, revision: number): string {
  if (entry === undefined) return `revision ${revision} (no longer in helm history)`;
  const app = entry.appVersion === '' ? '' : `, app ${entry.appVersion}`;
  const why = entry.description === '' ? '' : ` (${entry.description})`;
  return `revision ${entry.revision}: chart ${entry.chart}${app}, ${entry.status}${why}`;
}

/**
 * The value paths (`global.imageRegistry`, `redis.auth.password`…) that differ between two `helm get
 * values -o yaml` outputs. Paths only, never the values: they can hold passwords.
 */
export function changedValuePaths(currentYaml: string, targetYaml: string): string[] {
  const current = flatten(parseYaml(currentYaml) as unknown);
  const target = flatten(parseYaml(targetYaml) as unknown);
  const paths = new Set([...current.keys(), ...target.keys()]);
  return [...paths].filter((p) => current.get(p) !== target.get(p)).sort();
}

function flatten(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value))
      flatten(inner, prefix === '' ? key : `${prefix}.${key}`, out);
    return out;
  }
  if (prefix !== '' && value !== undefined) out.set(prefix, JSON.stringify(value));
  return out;
}
