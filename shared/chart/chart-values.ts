import { ConfigInvalidError } from '../errors/index.js';
import { describeValue, isValuesMap, setOwn } from './value-kind.js';

/** A chart's values as parsed from YAML. */
export type ChartValues = Record<string, unknown>;

/** A subchart's own defaults (its values.yaml), and its own subcharts. */
export interface SubchartValues {
  /**
   * The key the parent's values use for it: Helm uses the dependency's alias when Chart.yaml gives one,
   * else the chart name (relok8s itself always keys by chart name).
   */
  readonly name: string;
  readonly values: ChartValues;
  readonly subcharts?: readonly SubchartValues[];
}

// Mirrors Helm's pkg/chartutil/coalesce.go (coalesceDeps, coalesceGlobals, coalesceTablesFullKey): the
// parent's `<name>:` block wins over the subchart's defaults, a null there deletes the default, tables
// merge key by key, and the parent's `global` is merged over the subchart's own `global`. relok8s
// (`buildValuesMap` in internal/rewrite_action.go) does the first part with go-merge and skips globals;
// Helm's rules are what the installed release actually saw, so they are followed here.

/** Helm-coalesced values: each subchart's defaults under `.<name>`, overridden by the parent's block, with `global` passed down. */
export function coalesceValues(
  parentValues: ChartValues,
  subcharts: readonly SubchartValues[] = [],
): ChartValues {
  const dest = copyMap(parentValues);
  coalesceDeps(dest, subcharts, '');
  return dest;
}

function coalesceDeps(dest: ChartValues, subcharts: readonly SubchartValues[], prefix: string): void {
  for (const sub of subcharts) {
    const existing = Object.hasOwn(dest, sub.name) ? dest[sub.name] : undefined;
    if (existing !== undefined && existing !== null && !isValuesMap(existing)) {
      throw new ConfigInvalidError(
        'values',
        `${prefix}${sub.name}`,
        `expected a map of values for subchart ${sub.name}, got ${describeValue(existing)}`,
      );
    }
    const block: ChartValues = isValuesMap(existing) ? existing : {};
    coalesceGlobals(block, dest);
    coalesceTables(block, sub.values, false);
    coalesceDeps(block, sub.subcharts ?? [], `${prefix}${sub.name}.`);
    setOwn(dest, sub.name, block);
  }
}

// The parent's globals win, merged top-down into the subchart's; a non-map global is left alone (Helm
// only warns about it).
function coalesceGlobals(block: ChartValues, parent: ChartValues): void {
  const own = Object.hasOwn(block, 'global') ? block.global : undefined;
  const inherited = Object.hasOwn(parent, 'global') ? parent.global : undefined;
  if ((own !== undefined && !isValuesMap(own)) || (inherited !== undefined && !isValuesMap(inherited)))
    return;
  const globals: ChartValues = own ?? {};
  for (const [key, value] of Object.entries(inherited ?? {})) {
    const current = Object.hasOwn(globals, key) ? globals[key] : undefined;
    if (isValuesMap(value)) {
      if (current !== undefined && !isValuesMap(current)) continue;
      const merged = copyMap(value);
      if (current !== undefined) coalesceTables(merged, current, true);
      setOwn(globals, key, merged);
    } else if (!isValuesMap(current)) {
      setOwn(globals, key, copyValue(value));
    }
  }
  setOwn(block, 'global', globals);
}

// dst wins; with `merge` false a null in dst removes the key src would supply (Helm's "coalesce" mode).
function coalesceTables(dst: ChartValues, src: ChartValues, merge: boolean): void {
  for (const [key, value] of Object.entries(src)) {
    if (!Object.hasOwn(dst, key)) {
      setOwn(dst, key, copyValue(value));
      continue;
    }
    const current = dst[key];
    if (current === null && !merge) {
      Reflect.deleteProperty(dst, key);
    } else if (isValuesMap(current) && isValuesMap(value)) {
      coalesceTables(current, value, merge);
    }
  }
}

function copyMap(map: ChartValues): ChartValues {
  const out: ChartValues = {};
  for (const [key, value] of Object.entries(map)) setOwn(out, key, copyValue(value));
  return out;
}

function copyValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyValue);
  return isValuesMap(value) ? copyMap(value) : value;
}
