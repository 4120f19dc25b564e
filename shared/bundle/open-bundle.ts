import type { Readable } from 'node:stream';
import { parseHints, renderHints, type RenderedHint } from '../chart/index.js';
import { BundleMalformedError, BundleNotFoundError } from '../errors/index.js';

const MAX_HINTS_BYTES = 4 << 20;
import { readImageArchive, type ImageArchive, type ReadImageArchiveOptions } from '../image-archive/index.js';
import { FileByteSource, indexTar, type ByteSource, type TarEntry } from '../tar/index.js';
import { parseBundleFileName } from './bundle-name.js';
import { readBundleChart, type BundleChart } from './bundle-chart.js';
import { CHART_DIR, classifyBundleEntries, HINTS_ENTRY, IMAGES_ENTRY } from './bundle-layout.js';
import { crossCheckHints, type HintCrossCheck } from './cross-check.js';

/** Where images.tar sits inside the bundle file: stream these bytes, no extraction needed. */
export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

/** Everything known about a bundle after it was judged sound. */
export interface BundleInfo {
  readonly file: string;
  /** From the file name when it follows `<name>_<version>.bundle.tar`, else from Chart.yaml. */
  readonly name: string;
  readonly version: string;
  readonly chart: BundleChart;
  readonly hintTemplates: readonly string[];
  readonly hints: readonly RenderedHint[];
  readonly archive: ImageArchive;
  readonly imagesTar: ByteRange;
  readonly crossCheck: HintCrossCheck;
  /** Members outside hints.yaml, images.tar and original-chart/ (ignored). */
  readonly extraEntries: readonly string[];
}

/** An opened, validated bundle; close() when done. */
export class Bundle {
  private constructor(
    private readonly source: FileByteSource,
    private readonly chartEntries: ReadonlyMap<string, TarEntry>,
    readonly info: BundleInfo,
  ) {}

  /**
   * Opens and fully validates a bundle: layout, entry safety, chart, hints and images.tar.
   * Reads headers and small files only; writes nothing.
   */
  static async open(file: string, options: ReadImageArchiveOptions = {}): Promise<Bundle> {
    let source: FileByteSource;
    try {
      source = await FileByteSource.open(file);
    } catch (err) {
      throw new BundleNotFoundError(file, err);
    }
    try {
      if (!(await source.isRegularFile()))
        throw new BundleNotFoundError(file, new Error('not a regular file'));
      const layout = classifyBundleEntries(file, await indexTar(source));
      const chart = await readBundleChart(source, file, layout.chartFiles);
      if (layout.hints.size > MAX_HINTS_BYTES) {
        throw new BundleMalformedError(
          file,
          HINTS_ENTRY,
          `is ${layout.hints.size} bytes; a hints file is a short list of templates`,
        );
      }
      const hintsText = (await source.read(layout.hints.dataOffset, layout.hints.size)).toString('utf8');
      const hintTemplates = parseHints(hintsText, `${file}!${HINTS_ENTRY}`);
      const hints = renderHints(hintTemplates, chart.values);
      const imagesTar = { offset: layout.images.dataOffset, length: layout.images.size };
      const archive = await readImageArchive(
        source.slice(imagesTar.offset, imagesTar.length, `${file}!${IMAGES_ENTRY}`),
        options,
      );
      const fromName = parseBundleFileName(file);
      const info: BundleInfo = {
        file,
        name: fromName?.name ?? chart.name,
        version: fromName?.version ?? chart.version,
        chart,
        hintTemplates,
        hints,
        archive,
        imagesTar,
        crossCheck: crossCheckHints(hints, archive.images),
        extraEntries: layout.extraEntries,
      };
      return new Bundle(source, layout.chartFiles, info);
    } catch (err) {
      await source.close();
      throw err;
    }
  }

  /** A stream of images.tar's bytes, straight out of the bundle file. */
  openImagesStream(): Readable {
    return this.source.stream(this.info.imagesTar.offset, this.info.imagesTar.length);
  }

  /** images.tar as a byte source of its own (a view of the bundle file), e.g. for the data plane. */
  imagesSource(): ByteSource {
    return this.source.slice(
      this.info.imagesTar.offset,
      this.info.imagesTar.length,
      `${this.info.file}!${IMAGES_ENTRY}`,
    );
  }

  /** Reads one chart file by its path relative to `original-chart/`. */
  async readChartFile(path: string): Promise<Buffer> {
    const entry = this.chartEntries.get(path);
    if (entry === undefined) throw new Error(`${this.info.file}: no chart file ${CHART_DIR}/${path}`);
    return this.source.read(entry.dataOffset, entry.size);
  }

  /** Releases the file descriptor; safe to call twice. */
  async close(): Promise<void> {
    await this.source.close();
  }
}
