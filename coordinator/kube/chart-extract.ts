import { chmod, lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { BundleChart } from '../../shared/bundle/index.js';
import { AirliftError, BundleUnsafeEntryError, ChartExtractError } from '../../shared/errors/index.js';
import { checkEntryPath } from '../../shared/tar/index.js';

/** What the kube phase needs from a bundle; `Bundle` satisfies it. */
export interface ChartSource {
  readonly info: {
    readonly file: string;
    readonly chart: Pick<BundleChart, 'name' | 'version' | 'files' | 'crds'>;
  };
  /** One chart file by its path relative to `original-chart/`. */
  readChartFile(path: string): Promise<Buffer>;
}

/** What extractChart wrote. */
export interface ExtractedChart {
  readonly dir: string;
  readonly files: number;
  readonly bytes: number;
}

const FILE_MODE = 0o644;
const DIR_MODE = 0o755;

/** Writes every chart file of the bundle under `destDir` (created if absent; refused if not empty). */
export async function extractChart(bundle: ChartSource, destDir: string): Promise<ExtractedChart> {
  const root = resolve(destDir);
  const existing = await listDir(root);
  if (existing === 'not-a-directory') throw new ChartExtractError(root, 'it exists and is not a directory');
  if (existing !== undefined && existing.length > 0) {
    throw new ChartExtractError(
      root,
      `it is not empty (${existing.slice(0, 3).join(', ')}${existing.length > 3 ? ', …' : ''}); refusing to overwrite it`,
    );
  }
  // Resolve every target before writing anything, so an unsafe path leaves nothing behind.
  const targets = bundle.info.chart.files.map((path) => ({ path, target: chartTarget(bundle, root, path) }));
  const made = new Set<string>();
  let bytes = 0;
  try {
    await makeDir(root, made);
    for (const { path, target } of targets) {
      for (const dir of ancestors(root, target)) await makeDir(dir, made);
      const data = await bundle.readChartFile(path);
      // 'wx': never replace or follow anything that appeared under our feet.
      await writeFile(target, data, { flag: 'wx', mode: FILE_MODE });
      await chmod(target, FILE_MODE); // the umask may have narrowed it
      bytes += data.length;
    }
  } catch (err) {
    if (err instanceof AirliftError) throw err;
    throw new ChartExtractError(root, err instanceof Error ? err.message : String(err), err);
  }
  return { dir: root, files: targets.length, bytes };
}

/**
 * Compares a directory with the bundle's chart; returns the first difference found, or undefined when
 * the directory holds exactly the chart's files with the same bytes.
 */
export async function findChartDifference(bundle: ChartSource, dir: string): Promise<string | undefined> {
  const root = resolve(dir);
  const onDisk = new Map<string, 'file' | 'other'>();
  await walk(root, root, onDisk);
  for (const path of bundle.info.chart.files) {
    const kind = onDisk.get(path);
    if (kind === undefined) return `${path} is missing`;
    if (kind === 'other') return `${path} is not a regular file`;
    const [expected, actual] = await Promise.all([
      bundle.readChartFile(path),
      readFile(chartTarget(bundle, root, path)),
    ]);
    if (!expected.equals(actual)) return `${path} differs from the bundle`;
    onDisk.delete(path);
  }
  const [extra] = onDisk.keys();
  return extra === undefined ? undefined : `${extra} is not in the bundle`;
}

// Defence in depth: the bundle reader already refused unsafe names, but this is the code that writes.
function chartTarget(bundle: ChartSource, root: string, path: string): string {
  const entry = `original-chart/${path}`;
  const checked = checkEntryPath(path);
  if ('problem' in checked) throw new BundleUnsafeEntryError(bundle.info.file, entry, checked.problem);
  const target = resolve(root, checked.path);
  if (!target.startsWith(`${root}${sep}`)) {
    throw new BundleUnsafeEntryError(bundle.info.file, entry, `resolves outside ${root}`);
  }
  return target;
}

/** The directories between root (exclusive) and target's parent (inclusive), outermost first. */
function ancestors(root: string, target: string): string[] {
  const dirs: string[] = [];
  for (let dir = dirname(target); dir !== root; dir = dirname(dir)) dirs.unshift(dir);
  return dirs;
}

async function makeDir(dir: string, made: Set<string>): Promise<void> {
  if (made.has(dir)) return;
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
  await chmod(dir, DIR_MODE);
  made.add(dir);
}

async function listDir(dir: string): Promise<string[] | 'not-a-directory' | undefined> {
  try {
    return await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') return 'not-a-directory';
    throw new ChartExtractError(dir, `cannot read it: ${(err as Error).message}`, err);
  }
}

async function walk(root: string, dir: string, out: Map<string, 'file' | 'other'>): Promise<void> {
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const stats = await lstat(path);
    if (stats.isDirectory()) await walk(root, path, out);
    else out.set(relative(root, path).split(sep).join('/'), stats.isFile() ? 'file' : 'other');
  }
}
