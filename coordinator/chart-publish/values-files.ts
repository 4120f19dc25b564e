import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMap, parseDocument, type Document } from 'yaml';
import { parseChartMetadata } from '../../shared/chart/index.js';
import { ChartRelocateError } from '../../shared/errors/index.js';

/** Where one value path lands: the values.yaml (relative to the chart root) and the path inside it. */
export interface ValueLocation {
  readonly file: string;
  readonly path: readonly string[];
}

/**
 * The values.yaml files of an unpacked chart tree, edited through yaml's Document API so that comments,
 * key order and quoting of untouched values stay as written.
 */
export class ValuesFiles {
  private readonly docs = new Map<string, Document>();
  private readonly changed = new Set<string>();
  private readonly subchartDirs = new Map<string, ReadonlyMap<string, string>>();

  constructor(
    private readonly root: string,
    private readonly chart: string,
  ) {}

  /**
   * Which file a coalesced value path belongs in: the chart whose values.yaml already sets it, else the
   * unpacked subchart the first segment names (its defaults), else the chart itself. Helm's coalescing
   * gives the parent's value precedence, so writing where the value is set keeps the override working.
   */
  async locate(path: readonly string[], chartDir = ''): Promise<ValueLocation> {
    const file = join(chartDir, 'values.yaml');
    const doc = await this.load(file);
    const [head, ...rest] = path;
    if (head === undefined || rest.length === 0 || doc.hasIn(path)) return { file, path };
    const sub = (await this.subcharts(chartDir)).get(head);
    if (sub === undefined || hasScalarPrefix(doc, path)) return { file, path };
    return this.locate(rest, sub);
  }

  /** Sets a string value, keeping the node (and its comments) when one is already there. */
  async set(location: ValueLocation, value: string, fullPath: string): Promise<void> {
    const doc = await this.load(location.file);
    try {
      doc.setIn(location.path, value);
    } catch (err) {
      throw new ChartRelocateError(
        this.chart,
        `${location.file} cannot hold ${location.path.join('.')}: a value on the way is not a map`,
        { file: location.file, field: fullPath },
        err,
      );
    }
    this.changed.add(location.file);
  }

  /** Writes back every file that was changed; returns their paths relative to the chart root. */
  async save(): Promise<string[]> {
    const written = [...this.changed].sort();
    for (const file of written) {
      const doc = this.docs.get(file);
      if (doc !== undefined) await writeFile(join(this.root, file), doc.toString({ lineWidth: 0 }));
    }
    return written;
  }

  private async load(file: string): Promise<Document> {
    const cached = this.docs.get(file);
    if (cached !== undefined) return cached;
    let text = '';
    try {
      text = await readFile(join(this.root, file), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const doc = parseDocument(text, { prettyErrors: false });
    if (doc.errors.length > 0) {
      throw new ChartRelocateError(this.chart, `${file} is not valid YAML`, { file });
    }
    if (doc.contents !== null && !isMap(doc.contents)) {
      throw new ChartRelocateError(this.chart, `${file} must be a YAML map of values`, { file });
    }
    this.docs.set(file, doc);
    return doc;
  }

  /** Unpacked subcharts of the chart at `chartDir`: the key its values use (alias, else name) → dir. */
  private async subcharts(chartDir: string): Promise<ReadonlyMap<string, string>> {
    const cached = this.subchartDirs.get(chartDir);
    if (cached !== undefined) return cached;
    const found = new Map<string, string>();
    const meta = await this.metadata(join(chartDir, 'Chart.yaml'));
    const aliases = new Map<string, string>();
    for (const dep of meta?.dependencies ?? []) if (dep.alias !== undefined) aliases.set(dep.name, dep.alias);
    let names: string[] = [];
    try {
      names = await readdir(join(this.root, chartDir, 'charts'));
    } catch {
      names = [];
    }
    for (const name of names.sort()) {
      const dir = join(chartDir, 'charts', name);
      if (!(await isDirectory(join(this.root, dir)))) continue;
      const sub = await this.metadata(join(dir, 'Chart.yaml'));
      if (sub !== undefined) found.set(aliases.get(sub.name) ?? sub.name, dir);
    }
    this.subchartDirs.set(chartDir, found);
    return found;
  }

  private async metadata(file: string): Promise<ReturnType<typeof parseChartMetadata> | undefined> {
    try {
      return parseChartMetadata(await readFile(join(this.root, file), 'utf8'), file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}

// `redis: enabled` (a scalar where a map of subchart values would be) is left for set() to report.
function hasScalarPrefix(doc: Document, path: readonly string[]): boolean {
  for (let i = 1; i < path.length; i++) {
    const node: unknown = doc.getIn(path.slice(0, i), true);
    if (node !== undefined && !isMap(node)) return true;
  }
  return false;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
