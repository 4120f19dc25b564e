import { gunzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { parseChartMetadata, coalesceValues, type ChartValues } from '../chart/index.js';
import { AirliftError, BundleMalformedError } from '../errors/index.js';
import { BufferByteSource, indexTar, type ByteSource, type TarEntry } from '../tar/index.js';
import { CHART_DIR } from './bundle-layout.js';

/** A subchart found under `original-chart/charts/`. */
export interface BundleSubchart {
  /** The key its values live under in the parent (the dependency's alias, else its name). */
  readonly key: string;
  readonly name: string;
  readonly version: string;
  /** `charts/<dir>` for an unpacked subchart, `charts/<file>.tgz` for a packed one. */
  readonly path: string;
}

/** The chart carried in `original-chart/`. */
export interface BundleChart {
  readonly name: string;
  readonly version: string;
  readonly appVersion?: string;
  /** Paths relative to the chart root, e.g. `crds/clusters.yaml`, in archive order. */
  readonly crds: readonly string[];
  readonly subcharts: readonly BundleSubchart[];
  /** Every chart file path relative to the chart root. */
  readonly files: readonly string[];
  /** Values as Helm would coalesce them: chart defaults, subchart defaults under their key, globals. */
  readonly values: ChartValues;
}

const MAX_CHART_FILE = 32 << 20;
const CRD_FILE = /^crds\/.+\.(ya?ml|json)$/;
const SUBCHART_DIR_META = /^charts\/([^/]+)\/Chart\.yaml$/;
const SUBCHART_TGZ = /^charts\/([^/]+)\.tgz$/;

/** Reads Chart.yaml, values.yaml and every subchart's, and lists the CRDs, without writing anything. */
export async function readBundleChart(
  source: ByteSource,
  file: string,
  chartFiles: ReadonlyMap<string, TarEntry>,
): Promise<BundleChart> {
  const read = async (path: string): Promise<string> => {
    const entry = chartFiles.get(path);
    if (entry === undefined) throw new BundleMalformedError(file, `${CHART_DIR}/${path}`, 'is missing');
    if (entry.size > MAX_CHART_FILE) {
      throw new BundleMalformedError(
        file,
        `${CHART_DIR}/${path}`,
        `is ${entry.size} bytes, too large for a chart file`,
      );
    }
    return (await source.read(entry.dataOffset, entry.size)).toString('utf8');
  };
  const metadata = parseChart(await read('Chart.yaml'), file, `${CHART_DIR}/Chart.yaml`);
  const values = parseValuesText(await read('values.yaml'), file, `${CHART_DIR}/values.yaml`);
  const aliases = new Map<string, string>();
  for (const dep of metadata.dependencies ?? [])
    if (dep.alias !== undefined) aliases.set(dep.name, dep.alias);

  const subcharts: BundleSubchart[] = [];
  const subValues: { name: string; values: ChartValues }[] = [];
  for (const path of chartFiles.keys()) {
    const dir = SUBCHART_DIR_META.exec(path)?.[1];
    const tgz = SUBCHART_TGZ.exec(path)?.[1];
    let sub: { meta: ReturnType<typeof parseChartMetadata>; values: ChartValues; path: string } | undefined;
    if (dir !== undefined) {
      const metaEntry = `${CHART_DIR}/charts/${dir}/Chart.yaml`;
      const meta = parseChart(await read(path), file, metaEntry);
      const valuesPath = `charts/${dir}/values.yaml`;
      const subVals = chartFiles.has(valuesPath)
        ? parseValuesText(await read(valuesPath), file, `${CHART_DIR}/${valuesPath}`)
        : {};
      sub = { meta, values: subVals, path: `charts/${dir}` };
    } else if (tgz !== undefined) {
      const entry = chartFiles.get(path);
      if (entry === undefined) continue;
      sub = { ...(await readPackedSubchart(source, file, path, entry)), path };
    }
    if (sub === undefined) continue;
    const key = aliases.get(sub.meta.name) ?? sub.meta.name;
    subcharts.push({ key, name: sub.meta.name, version: sub.meta.version, path: sub.path });
    subValues.push({ name: key, values: sub.values });
  }
  const files = [...chartFiles.keys()];
  return {
    name: metadata.name,
    version: metadata.version,
    ...(metadata.appVersion === undefined ? {} : { appVersion: metadata.appVersion }),
    crds: files.filter((f) => CRD_FILE.test(f)),
    subcharts,
    files,
    values: coalesceValues(values, subValues),
  };
}

// `helm dependency build` leaves subcharts packed as charts/<name>-<version>.tgz; they are small, so
// they are read in memory with the same tar indexer.
async function readPackedSubchart(
  source: ByteSource,
  file: string,
  path: string,
  entry: TarEntry,
): Promise<{ meta: ReturnType<typeof parseChartMetadata>; values: ChartValues }> {
  const where = `${CHART_DIR}/${path}`;
  if (entry.size > MAX_CHART_FILE)
    throw new BundleMalformedError(file, where, 'packed subchart is too large');
  let tarBytes: Buffer;
  try {
    tarBytes = gunzipSync(await source.read(entry.dataOffset, entry.size), {
      maxOutputLength: 4 * MAX_CHART_FILE,
    });
  } catch (err) {
    throw new BundleMalformedError(file, where, 'packed subchart is not a valid .tgz', err);
  }
  const inner = new BufferByteSource(tarBytes, `${file}!${where}`);
  const members = await indexTar(inner);
  const find = (suffix: string): TarEntry | undefined =>
    members.find((m) => m.type === 'file' && /^[^/]+\/[^/]+$/.test(m.name) && m.name.endsWith(`/${suffix}`));
  const chartYaml = find('Chart.yaml');
  if (chartYaml === undefined)
    throw new BundleMalformedError(file, where, 'packed subchart has no <name>/Chart.yaml');
  const text = async (m: TarEntry): Promise<string> =>
    (await inner.read(m.dataOffset, m.size)).toString('utf8');
  const meta = parseChart(await text(chartYaml), file, `${where}/Chart.yaml`);
  const valuesEntry = find('values.yaml');
  const values =
    valuesEntry === undefined ? {} : parseValuesText(await text(valuesEntry), file, `${where}/values.yaml`);
  return { meta, values };
}

function parseValuesText(text: string, file: string, entry: string): ChartValues {
  let parsed: unknown;
  try {
    parsed = parseYaml(text, { prettyErrors: false });
  } catch (err) {
    throw new BundleMalformedError(file, entry, `is not valid YAML (${firstLine(err)})`, err);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BundleMalformedError(file, entry, 'must be a YAML map of values');
  }
  return parsed as ChartValues;
}

// The chart module names the field; the label it gets names the bundle and entry.
function parseChart(text: string, file: string, entry: string): ReturnType<typeof parseChartMetadata> {
  try {
    return parseChartMetadata(text, `${file}!${entry}`);
  } catch (err) {
    if (err instanceof AirliftError) throw err;
    throw new BundleMalformedError(file, entry, 'cannot be read', err);
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
