import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ChartPublishError } from '../../shared/errors/index.js';
import type { ChartPublisher, PublishResult } from './chart-publisher.js';
import type { ChartPackage } from './package-chart.js';
import { indexEntry, mergeIndex } from './repo-index.js';

/** A Helm repository in a directory: the .tgz beside an index.yaml, as `helm repo index` leaves it. */
export class LocalChartPublisher implements ChartPublisher {
  readonly kind = 'LOCAL' as const;
  readonly target: string;

  constructor(
    path: string,
    private readonly now: () => Date,
  ) {
    this.target = resolve(path);
  }

  /** Copies the package into the directory and adds (or replaces) its entry in index.yaml. */
  async publish(pkg: ChartPackage): Promise<PublishResult> {
    const chart = `${pkg.name}-${pkg.version}`;
    const name = basename(pkg.file);
    const dest = join(this.target, name);
    const indexFile = join(this.target, 'index.yaml');
    try {
      await mkdir(this.target, { recursive: true });
      if (resolve(pkg.file) !== dest) {
        await copyFile(pkg.file, `${dest}.partial`);
        await rename(`${dest}.partial`, dest);
      }
      const existing = await readFile(indexFile, 'utf8').catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      });
      const now = this.now();
      const text = mergeIndex(existing, await indexEntry(pkg, name, now), now);
      await writeFile(`${indexFile}.partial`, text);
      await rename(`${indexFile}.partial`, indexFile);
    } catch (err) {
      throw new ChartPublishError(this.target, chart, (err as Error).message, err);
    }
    return { kind: this.kind, location: dest, status: 'published' };
  }
}
