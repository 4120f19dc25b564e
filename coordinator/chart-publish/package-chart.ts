import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack, type Pack } from 'tar-stream';
import { parseChartMetadata } from '../../shared/chart/index.js';
import { AirliftError, ChartPublishError } from '../../shared/errors/index.js';

/** A packaged chart, ready to publish. */
export interface ChartPackage {
  /** Absolute path of `<name>-<version>.tgz`. */
  readonly file: string;
  readonly name: string;
  readonly version: string;
  /** sha256 of the .tgz, hex (what `helm repo index` records as `digest`). */
  readonly digest: string;
  readonly size: number;
}

export interface PackageOptions {
  readonly chartDir: string;
  readonly outDir: string;
}

// Fixed owner, mode and time: the same chart tree always packs to the same bytes.
const EPOCH = new Date(0);
// Helm's chartutil.Save writes these first; the rest follow in path order.
const FIRST = ['Chart.yaml', 'values.yaml', 'values.schema.json'];

/**
 * Packs a chart directory like `helm package`: a gzip'd tar of regular files under a top directory named
 * after the chart, written to `<outDir>/<name>-<version>.tgz`; deterministic for the same tree.
 */
export async function packageChart({ chartDir, outDir }: PackageOptions): Promise<ChartPackage> {
  const chartYaml = join(chartDir, 'Chart.yaml');
  let meta: ReturnType<typeof parseChartMetadata>;
  try {
    meta = parseChartMetadata(await readFile(chartYaml, 'utf8'), chartYaml);
  } catch (err) {
    if (err instanceof AirliftError) throw err;
    throw new ChartPublishError(outDir, chartDir, `cannot read ${chartYaml}: ${(err as Error).message}`, err);
  }
  const label = `${meta.name}-${meta.version}`;
  const files = orderForHelm(await listFiles(chartDir, chartDir));
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, `${label}.tgz`);
  const partial = `${file}.partial`;
  const hash = createHash('sha256');
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const tar = pack();
  const written = pipeline(tar, createGzip({ level: 9 }), count, createWriteStream(partial));
  try {
    for (const path of files)
      await addMember(tar, `${meta.name}/${path}`, await readFile(join(chartDir, path)));
    tar.finalize();
    await written;
    await rename(partial, file);
  } catch (err) {
    tar.destroy();
    await written.catch(() => undefined);
    await rm(partial, { force: true });
    throw new ChartPublishError(file, label, `packaging failed: ${(err as Error).message}`, err);
  }
  return { file, name: meta.name, version: meta.version, digest: hash.digest('hex'), size };
}

function addMember(tar: Pack, name: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    tar.entry(
      {
        name,
        mode: 0o644,
        mtime: EPOCH,
        uid: 0,
        gid: 0,
        uname: '',
        gname: '',
        type: 'file',
        size: data.length,
      },
      data,
      (err) => {
        if (err) reject(err);
        else resolve();
      },
    );
  });
}

function orderForHelm(paths: string[]): string[] {
  const first = FIRST.filter((path) => paths.includes(path));
  const rest = paths.filter((path) => !FIRST.includes(path)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [...first, ...rest];
}

// Regular files only, as helm's loader keeps them; links and sockets have no place in a chart archive.
async function listFiles(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const stats = await lstat(path);
    if (stats.isDirectory()) out.push(...(await listFiles(root, path)));
    else if (stats.isFile()) out.push(relative(root, path).split(sep).join('/'));
  }
  return out;
}
