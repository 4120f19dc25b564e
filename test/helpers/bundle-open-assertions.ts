import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Bundle } from '../../shared/bundle/index.js';
import type { AirliftError, ErrorCode } from '../../shared/errors/index.js';
import type { ReadImageArchiveOptions } from '../../shared/image-archive/index.js';
import { expectAirliftRejection } from './airlift-error-assertions.js';
import { writeSampleBundle, type SampleBundle, type SampleBundleOptions } from './fixtures/index.js';
import { openFdCount, snapshotTree } from './fs-snapshot.js';

/**
 * Opens a bundle expecting the given error, and checks that judging it wrote nothing next to it and
 * left no file descriptor open. The error's context must name the bundle file.
 */
export async function expectOpenFailure<T extends AirliftError>(
  path: string,
  type: abstract new (...args: never[]) => T,
  code: ErrorCode,
  fragments: readonly string[],
  options: ReadImageArchiveOptions = {},
): Promise<T> {
  const dir = dirname(path);
  const tree = await snapshotTree(dir);
  const fds = openFdCount();
  const err = await expectAirliftRejection(Bundle.open(path, options), type, code, fragments);
  assert.equal(openFdCount(), fds, 'a failed Bundle.open must not leave a file descriptor open');
  assert.deepEqual(await snapshotTree(dir), tree, 'a failed Bundle.open must not write anything');
  assert.ok(
    err.context.file?.startsWith(path),
    `context.file ${String(err.context.file)} should name ${path}`,
  );
  return err;
}

/** Random bytes per layer in sampleIn's bundles: small, so many cases stay fast. */
export const SAMPLE_LAYER_BYTES = 1024;

/** Writes the sample bundle into its own subdirectory `<dir>/<case>/`, so each case has a fresh name. */
export async function sampleIn(
  dir: string,
  name: string,
  options: SampleBundleOptions = {},
): Promise<SampleBundle> {
  const sub = join(dir, name);
  await mkdir(sub, { recursive: true });
  return writeSampleBundle(sub, { layerBytes: SAMPLE_LAYER_BYTES, ...options });
}
