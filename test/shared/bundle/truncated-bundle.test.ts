import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { BundleMalformedError, BundleTruncatedError, ErrorCode } from '../../../shared/errors/index.js';
import { expectOpenFailure, sampleIn } from '../../helpers/bundle-open-assertions.js';
import { BLOCK, findHeader, withoutEndMarker } from '../../helpers/tar-blocks.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import type { SampleBundle } from '../../helpers/fixtures/index.js';

/** Writes the sample bundle, then replaces its bytes with `edit(bytes)`. */
async function edited(dir: string, name: string, edit: (bytes: Buffer) => Buffer): Promise<SampleBundle> {
  const sample = await sampleIn(dir, name);
  await writeFile(sample.path, edit(await readFile(sample.path)));
  return sample;
}

describe('Bundle.open: truncated bundles', () => {
  const dir = scratchDir('truncated');

  it('cut in the middle of images.tar', async () => {
    let imagesHeader = 0;
    const sample = await edited(dir(), 'mid-images', (bytes) => {
      imagesHeader = findHeader(bytes, 'images.tar');
      return bytes.subarray(0, imagesHeader + BLOCK + 10_000);
    });
    const size = sample.spec.imagesTar.length;
    assert.ok(size > 10_000);
    const err = await expectOpenFailure(sample.path, BundleTruncatedError, ErrorCode.BundleTruncated, [
      sample.path,
      'truncated in entry images.tar',
      `declares ${size} bytes but only 10000 remain`,
      'transfer it again',
    ]);
    assert.equal(err.context.entry, 'images.tar');
  });

  it('cut inside a header block', async () => {
    let valuesHeader = 0;
    const sample = await edited(dir(), 'in-header', (bytes) => {
      valuesHeader = findHeader(bytes, 'original-chart/values.yaml');
      return bytes.subarray(0, valuesHeader + 200);
    });
    await expectOpenFailure(sample.path, BundleTruncatedError, ErrorCode.BundleTruncated, [
      sample.path,
      `header at byte ${valuesHeader} is cut short`,
    ]);
  });

  it('cut right before the end-of-archive blocks', async () => {
    let length = 0;
    const sample = await edited(dir(), 'no-end', (bytes) => {
      const cut = withoutEndMarker(bytes);
      length = cut.length;
      return cut;
    });
    // Every member is whole: only the end marker tells a complete copy from one cut at a boundary.
    await expectOpenFailure(sample.path, BundleTruncatedError, ErrorCode.BundleTruncated, [
      sample.path,
      `ends at byte ${length} without its end-of-archive marker`,
    ]);
  });

  it('an empty file', async () => {
    const sample = await edited(dir(), 'empty', () => Buffer.alloc(0));
    await expectOpenFailure(sample.path, BundleTruncatedError, ErrorCode.BundleTruncated, [
      sample.path,
      'byte 0',
    ]);
  });

  it('an intact bundle carrying a truncated images.tar', async () => {
    const sample = await sampleIn(dir(), 'inner-cut', {
      mutate: (spec) => ({
        ...spec,
        imagesTar: spec.imagesTar.subarray(0, Math.floor(spec.imagesTar.length / 2)),
      }),
    });
    const err = await expectOpenFailure(sample.path, BundleTruncatedError, ErrorCode.BundleTruncated, [
      `${sample.path}!images.tar`,
      'is truncated',
    ]);
    assert.equal(err.context.file, `${sample.path}!images.tar`);
  });
});

describe('Bundle.open: corrupted headers', () => {
  const dir = scratchDir('corrupt');

  it('a header whose checksum no longer matches', async () => {
    let valuesHeader = 0;
    const sample = await edited(dir(), 'checksum', (bytes) => {
      valuesHeader = findHeader(bytes, 'original-chart/values.yaml');
      const copy = Buffer.from(bytes);
      copy[valuesHeader + 20] = 0x41; // a letter inside the name field
      return copy;
    });
    await expectOpenFailure(sample.path, BundleMalformedError, ErrorCode.BundleMalformed, [
      sample.path,
      `bad tar header at byte ${valuesHeader}`,
      'checksum mismatch',
    ]);
  });

  it('a corrupted header inside images.tar is reported against images.tar', async () => {
    let innerOffset = 0;
    const sample = await edited(dir(), 'inner-checksum', (bytes) => {
      const imagesData = findHeader(bytes, 'images.tar') + BLOCK;
      const inner = bytes.subarray(imagesData);
      innerOffset = findHeader(inner, 'manifest.json');
      const copy = Buffer.from(bytes);
      copy[imagesData + innerOffset + 124] = 0x37; // size field digit
      return copy;
    });
    await expectOpenFailure(sample.path, BundleMalformedError, ErrorCode.BundleMalformed, [
      `${sample.path}!images.tar`,
      `bad tar header at byte ${innerOffset}`,
      'checksum',
    ]);
  });

  it('a file that is not a tar at all', async () => {
    const sample = await edited(dir(), 'not-tar', (bytes) => Buffer.from(bytes.toString('base64')));
    await expectOpenFailure(sample.path, BundleMalformedError, ErrorCode.BundleMalformed, [
      sample.path,
      'bad tar header at byte 0',
    ]);
  });
});
