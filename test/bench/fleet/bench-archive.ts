import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { writeSampleBundle } from '../../helpers/fixtures/index.js';

/** The bundle airlift distributes and the images.tar inside it that the baselines copy. */
export interface BenchArchive {
  readonly bundlePath: string;
  readonly imagesTarPath: string;
  /** Size of images.tar: S in every formula. */
  readonly sizeBytes: number;
  /** Every reference a node must hold afterwards. */
  readonly references: readonly string[];
}

// The sample bundle has five distinct layers (one base shared by two images, four own layers).
const DISTINCT_LAYERS = 5;

/**
 * Writes the kairship-like sample bundle with layers of random (incompressible) bytes sized so images.tar
 * is about sizeMiB, and images.tar beside it. Random bytes keep gzip from shrinking what the network
 * carries, and make unpacking cost what a real layer of that size costs.
 */
export async function writeBenchArchive(dir: string, sizeMiB: number): Promise<BenchArchive> {
  const layerBytes = Math.max(1, Math.floor((sizeMiB * 1024 * 1024) / DISTINCT_LAYERS));
  const bundle = await writeSampleBundle(dir, { layerBytes });
  const imagesTarPath = join(dir, 'images.tar');
  await writeFile(imagesTarPath, bundle.spec.imagesTar);
  return {
    bundlePath: bundle.path,
    imagesTarPath,
    sizeBytes: (await stat(imagesTarPath)).size,
    references: bundle.references,
  };
}
