import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { parse, parseDocument, stringify } from 'yaml';
import { BufferByteSource, indexTar } from '../../shared/tar/index.js';
import type { ChartPackage } from './package-chart.js';

/** One `entries.<name>[]` item of a Helm repository index.yaml. */
export type IndexEntry = Record<string, unknown> & {
  readonly name: string;
  readonly version: string;
  readonly digest: string;
  readonly created: string;
  readonly urls: readonly string[];
};

/** Chart.yaml of a packaged chart (`<name>/Chart.yaml` inside the .tgz), as plain data. */
export async function readPackagedChartYaml(file: string): Promise<Record<string, unknown>> {
  const tar = gunzipSync(await readFile(file), { maxOutputLength: 256 << 20 });
  const source = new BufferByteSource(tar, file);
  const members = await indexTar(source);
  const chartYaml = members.find((m) => m.type === 'file' && /^[^/]+\/Chart\.yaml$/.test(m.name));
  if (chartYaml === undefined) throw new Error(`${file} has no <name>/Chart.yaml`);
  const data: unknown = parse((await source.read(chartYaml.dataOffset, chartYaml.size)).toString('utf8'));
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new Error(`${file}: Chart.yaml is not a map`);
  }
  return data as Record<string, unknown>;
}

/** The index entry `helm repo index` writes for a package: Chart.yaml's fields plus urls, created, digest. */
export async function indexEntry(pkg: ChartPackage, url: string, created: Date): Promise<IndexEntry> {
  const meta = await readPackagedChartYaml(pkg.file);
  return {
    ...meta,
    name: pkg.name,
    version: pkg.version,
    urls: [url],
    created: created.toISOString(),
    digest: pkg.digest,
  };
}

/**
 * Adds (or replaces, for the same version) an entry in index.yaml text and returns the new text; entries of
 * a chart are kept newest version first, as helm sorts them.
 */
export function mergeIndex(existing: string | undefined, entry: IndexEntry, generated: Date): string {
  const data: unknown = existing === undefined ? undefined : parseDocument(existing).toJS();
  const index =
    typeof data === 'object' && data !== null && !Array.isArray(data)
      ? (data as Record<string, unknown>)
      : {};
  const rawEntries = index.entries;
  const entries: Record<string, unknown[]> =
    typeof rawEntries === 'object' && rawEntries !== null && !Array.isArray(rawEntries)
      ? (rawEntries as Record<string, unknown[]>)
      : {};
  const own = Array.isArray(entries[entry.name]) ? (entries[entry.name] ?? []) : [];
  const others = own.filter((item) => (item as { version?: unknown }).version !== entry.version);
  const merged = [...others, entry].sort((a, b) => compareVersions(versionOf(b), versionOf(a)));
  const sortedEntries: Record<string, unknown[]> = {};
  for (const name of [...new Set([...Object.keys(entries), entry.name])].sort()) {
    sortedEntries[name] = name === entry.name ? merged : (entries[name] ?? []);
  }
  return stringify({
    ...index,
    apiVersion: 'v1',
    entries: sortedEntries,
    generated: generated.toISOString(),
  });
}

/** Semantic version order (a leading `v` and missing parts allowed); a pre-release sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const split = (v: string): { core: number[]; pre: string | undefined } => {
    const [main = '', pre] = v.replace(/^v/, '').split('+')[0]?.split(/-(.*)/s) ?? [];
    return { core: main.split('.').map((part) => Number.parseInt(part, 10) || 0), pre };
  };
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < 3; i++) {
    const diff = (x.core[i] ?? 0) - (y.core[i] ?? 0);
    if (diff !== 0) return diff;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined || x.pre === '') return 1;
  if (y.pre === undefined || y.pre === '') return -1;
  return x.pre < y.pre ? -1 : 1;
}

// An existing index may hold a version YAML read as a number (`version: 1.10`); compare it as text.
function versionOf(item: unknown): string {
  const version = (item as { version?: unknown } | null)?.version;
  return typeof version === 'string' || typeof version === 'number' ? String(version) : '';
}
