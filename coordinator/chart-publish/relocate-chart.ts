import { join } from 'node:path';
import {
  imageTemplateParts,
  renderHints,
  type ChartValues,
  type ImageTemplateParts,
} from '../../shared/chart/index.js';
import { AirliftError, ChartRelocateError } from '../../shared/errors/index.js';
import {
  applyRetagRule,
  formatName,
  formatReference,
  parseReference,
  type ImageReference,
  type RetagRule,
} from '../../shared/reference/index.js';
import { extractChart, type ChartSource } from '../kube/index.js';
import { ValuesFiles } from './values-files.js';

/** What relocateChart reads from a bundle; `Bundle` satisfies it. */
export interface RelocateSource extends ChartSource {
  readonly info: ChartSource['info'] & {
    readonly chart: ChartSource['info']['chart'] & { readonly values: ChartValues };
    readonly hintTemplates: readonly string[];
  };
}

/** One value relocateChart rewrote. */
export interface ValueChange {
  /** The coalesced value path as the hint names it, e.g. `redis.image.registry`. */
  readonly path: string;
  /** The values.yaml it was written to, relative to the chart root (`charts/redis/values.yaml`). */
  readonly file: string;
  readonly from: string;
  readonly to: string;
}

/** The relocated chart tree. */
export interface RelocatedChart {
  readonly dir: string;
  readonly name: string;
  readonly version: string;
  readonly changes: readonly ValueChange[];
  /** Each hint's image before and after, in hints.yaml order. */
  readonly images: readonly { readonly from: string; readonly to: string }[];
}

export interface RelocateOptions {
  readonly bundle: RelocateSource;
  readonly rule: RetagRule;
  /** The chart is written to `<outDir>/<chart name>` (must not exist or be empty). */
  readonly outDir: string;
}

interface Assignment {
  readonly path: string;
  readonly value: string;
  readonly hint: number;
}

/**
 * Extracts the bundle's chart and rewrites the values its hints read so that every hint renders to the
 * image's retag target, as charts-syncer's relok8s (ImageTemplate.Apply) does: registry and repository
 * values change, tags and digests stay.
 */
export async function relocateChart({ bundle, rule, outDir }: RelocateOptions): Promise<RelocatedChart> {
  const { name, version, values } = bundle.info.chart;
  const chart = `${name}-${version}`;
  const templates = bundle.info.hintTemplates;
  const rendered = renderHints(templates, values);
  const images: { from: string; to: string }[] = [];
  const assignments = new Map<string, Assignment>();
  for (const hint of rendered) {
    const field = `hints.yaml[${hint.index}]`;
    if (hint.reference === undefined) {
      throw new ChartRelocateError(chart, `${field} does not render: ${hint.error?.message ?? 'unknown'}`, {
        field,
      });
    }
    const { source, target, parts } = plan(chart, field, hint.template, hint.reference, rule);
    images.push({ from: formatReference(source), to: formatReference(target) });
    for (const [path, value] of partValues(parts, source, target, rule)) {
      const earlier = assignments.get(path);
      if (earlier !== undefined && earlier.value !== value) {
        throw new ChartRelocateError(
          chart,
          `hints.yaml[${earlier.hint}] and ${field} both read ${path} but need it to become ${earlier.value} and ${value}; the chart cannot express both targets`,
          { field: path },
        );
      }
      assignments.set(path, { path, value, hint: hint.index });
    }
  }
  checkTargets(chart, templates, values, [...assignments.values()], images);

  const extracted = await extractChart(bundle, join(outDir, name));
  const files = new ValuesFiles(extracted.dir, chart);
  const changes: ValueChange[] = [];
  for (const { path, value } of assignments.values()) {
    // Compared with the value Helm would use (defaults coalesced), so an unchanged one is not written.
    const current = valueAt(values, path.split('.'));
    if (current === value) continue;
    const location = await files.locate(path.split('.'));
    await files.set(location, value, path);
    changes.push({
      path,
      file: location.file,
      from: describeCurrent(current),
      to: value,
    });
  }
  await files.save();
  return { dir: extracted.dir, name, version, changes, images };
}

function plan(
  chart: string,
  field: string,
  template: string,
  reference: string,
  rule: RetagRule,
): { source: ImageReference; target: ImageReference; parts: ImageTemplateParts } {
  try {
    const source = parseReference(reference);
    return { source, target: applyRetagRule(source, rule), parts: imageTemplateParts(template) };
  } catch (err) {
    if (!(err instanceof AirliftError)) throw err;
    throw new ChartRelocateError(chart, `${field} (${reference}): ${err.message}`, { field }, err);
  }
}

// relok8s writes the rule's registry value as is (it may carry a path, e.g. `prefix/origin` with
// appendOriginRegistry) and the rest of the name as the repository; when the target does not start with
// that value the parsed split is used, which renders to the same name.
function splitTarget(source: ImageReference, target: ImageReference, rule: RetagRule): [string, string] {
  const name = formatName(target);
  let registry: string | undefined;
  if (rule.kind === 'registry') registry = rule.registry;
  else if (rule.containerPrefixRegistry !== undefined && rule.containerPrefixRegistry !== '') {
    const origin = source.registry === 'docker.io' ? 'index.docker.io' : source.registry;
    registry =
      rule.appendOriginRegistry === true
        ? `${rule.containerPrefixRegistry}/${origin}`
        : rule.containerPrefixRegistry;
  } else if (rule.containerRegistry !== undefined && rule.containerRegistry !== '') {
    registry = rule.containerRegistry;
  }
  if (registry !== undefined && name.startsWith(`${registry}/`)) {
    return [registry, name.slice(registry.length + 1)];
  }
  return [target.registry, target.repository];
}

function partValues(
  parts: ImageTemplateParts,
  source: ImageReference,
  target: ImageReference,
  rule: RetagRule,
): [string, string][] {
  const [registry, repository] = splitTarget(source, target, rule);
  if (parts.registryAndRepository !== undefined) {
    return [[parts.registryAndRepository, `${registry}/${repository}`]];
  }
  const out: [string, string][] = [];
  if (parts.registry !== undefined) out.push([parts.registry, registry]);
  if (parts.repository !== undefined) out.push([parts.repository, repository]);
  return out;
}

// The same templates rendered against the planned values must give the targets; a template with a literal
// registry or repository part cannot be relocated through values, and that is refused before writing.
function checkTargets(
  chart: string,
  templates: readonly string[],
  values: ChartValues,
  assignments: readonly Assignment[],
  images: readonly { from: string; to: string }[],
): void {
  const planned = structuredClone(values);
  for (const { path, value } of assignments) setPath(planned, path.split('.'), value);
  for (const hint of renderHints(templates, planned)) {
    const want = images[hint.index]?.to;
    let got: string | undefined;
    try {
      got = hint.reference === undefined ? undefined : formatReference(parseReference(hint.reference));
    } catch {
      got = hint.reference;
    }
    if (got !== want) {
      throw new ChartRelocateError(
        chart,
        `hints.yaml[${hint.index}] would render ${got ?? hint.error?.message ?? 'nothing'} instead of ${want ?? '?'}: its registry or repository is not fully read from values`,
        { field: `hints.yaml[${hint.index}]` },
      );
    }
  }
}

function setPath(values: ChartValues, path: readonly string[], value: string): void {
  let node: Record<string, unknown> = values;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
      return;
    }
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      const fresh: Record<string, unknown> = {};
      Object.defineProperty(node, key, {
        value: fresh,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      node = fresh;
    } else {
      node = next as Record<string, unknown>;
    }
  }
}

// What a value was before, for the CLI's list of changes; a map or list where a string belongs is named.
function describeCurrent(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  return '(not a single value)';
}

function valueAt(values: ChartValues, path: readonly string[]): unknown {
  let node: unknown = values;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined;
  }
  return node;
}
