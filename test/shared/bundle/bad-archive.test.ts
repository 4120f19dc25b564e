import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Bundle } from '../../../shared/bundle/index.js';
import {
  ArchiveMalformedError,
  ArchiveMissingBlobError,
  ErrorCode,
  InvalidReferenceError,
} from '../../../shared/errors/index.js';
import {
  buildLayer,
  sampleImages,
  tarBuffer,
  writeImageArchive,
  type FixtureImage,
  type SampleBundle,
} from '../../helpers/fixtures/index.js';
import { expectOpenFailure, SAMPLE_LAYER_BYTES, sampleIn } from '../../helpers/bundle-open-assertions.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

const hex = (digest: string): string => digest.slice('sha256:'.length);

describe('Bundle.open: images.tar problems', () => {
  const dir = scratchDir('bad-archive');

  /** The sample bundle with images.tar replaced by `build(images)` (the sample's own images). */
  async function withImagesTar(
    name: string,
    build: (images: readonly FixtureImage[]) => Promise<Buffer>,
  ): Promise<SampleBundle> {
    const imagesTar = await build(await sampleImages('0.21.0', SAMPLE_LAYER_BYTES));
    return sampleIn(dir(), name, { mutate: (spec) => ({ ...spec, imagesTar }) });
  }

  it('manifest.json points at a missing layer blob', async () => {
    const images = await sampleImages('0.21.0', SAMPLE_LAYER_BYTES);
    const layer = images[1]!.layers[1]!;
    const sample = await sampleIn(dir(), 'no-layer', {
      archive: { dropBlob: (name) => name === `${hex(layer.digest)}.tar.gz` },
    });
    const err = await expectOpenFailure(sample.path, ArchiveMissingBlobError, ErrorCode.ArchiveMissingBlob, [
      `${sample.path}!images.tar`,
      'manifest.json [1] Layers',
      `${hex(layer.digest)}.tar.gz`,
      'incomplete',
    ]);
    assert.equal(err.context.entry, `${hex(layer.digest)}.tar.gz`);
  });

  it('manifest.json points at a missing config blob', async () => {
    const sample = await sampleIn(dir(), 'no-config', {
      archive: { dropBlob: (name) => name.startsWith('sha256:') },
    });
    await expectOpenFailure(sample.path, ArchiveMissingBlobError, ErrorCode.ArchiveMissingBlob, [
      `${sample.path}!images.tar`,
      'manifest.json [0] Config',
      sample.images[0]!.configDigest,
    ]);
  });

  it('a config blob whose bytes do not hash to its sha256:<hex> name', async () => {
    let digest = '';
    const sample = await withImagesTar('config-hash', (images) => {
      digest = images[0]!.configDigest;
      const config = Buffer.from(images[0]!.config.toString().replace('"os":"linux"', '"os":"Linux"'));
      return writeImageArchive([{ ...images[0]!, config }, ...images.slice(1)], 'go-containerregistry');
    });
    await expectOpenFailure(sample.path, ArchiveMalformedError, ErrorCode.ArchiveMalformed, [
      `${sample.path}!images.tar`,
      `entry ${digest}`,
      `not ${digest}`,
      'corrupted',
    ]);
  });

  for (const [i, reference] of ['Release.DaoCloud.io/X:y', 'a:b:c'].entries()) {
    it(`an invalid reference in RepoTags: ${reference}`, async () => {
      const sample = await sampleIn(dir(), `bad-ref-${i}`, {
        archive: { overrideFirstRepoTags: [reference] },
      });
      const err = await expectOpenFailure(sample.path, InvalidReferenceError, ErrorCode.InvalidReference, [
        JSON.stringify(reference),
        'manifest.json [0]',
      ]);
      assert.equal(err.context.file, `${sample.path}!images.tar`);
    });
  }

  it('an images.tar that is neither a docker nor an OCI archive', async () => {
    const sample = await withImagesTar('neither', () =>
      tarBuffer([{ name: 'layer.tar.gz', data: Buffer.from('not an image') }]),
    );
    await expectOpenFailure(sample.path, ArchiveMalformedError, ErrorCode.ArchiveMalformed, [
      `${sample.path}!images.tar`,
      'neither manifest.json',
      'not an image archive',
    ]);
  });

  it('a legacy docker save archive with only `repositories`', async () => {
    const sample = await withImagesTar('legacy', (images) =>
      writeImageArchive(images, 'docker-save', { dropBlob: (name) => name === 'manifest.json' }),
    );
    await expectOpenFailure(sample.path, ArchiveMalformedError, ErrorCode.ArchiveMalformed, [
      `${sample.path}!images.tar entry repositories`,
      'legacy docker save',
    ]);
  });

  it('a config listing a different number of diff_ids than Layers', async () => {
    let digest = '';
    const sample = await withImagesTar('diff-ids', async (images) => {
      const extra = await buildLayer({ 'x.txt': Buffer.from('x') });
      digest = images[2]!.configDigest;
      return writeImageArchive(
        images.map((image, i) => (i === 2 ? { ...image, layers: [...image.layers, extra] } : image)),
        'go-containerregistry',
      );
    });
    await expectOpenFailure(sample.path, ArchiveMalformedError, ErrorCode.ArchiveMalformed, [
      `entry ${digest}`,
      'config lists 1 layers but manifest.json [2] lists 2',
    ]);
  });

  it('verifyLayerDigests: a layer whose bytes were altered', async () => {
    let layerDigest = '';
    const sample = await withImagesTar('altered-layer', (images) => {
      const layer = images[3]!.layers[0]!;
      layerDigest = layer.digest;
      const gzip = Buffer.from(layer.gzip);
      gzip[100] = gzip[100]! ^ 0x01;
      return writeImageArchive(
        images.map((image, i) => (i === 3 ? { ...image, layers: [{ ...layer, gzip }] } : image)),
        'go-containerregistry',
      );
    });
    // Off by default: the bundle opens.
    const bundle = await Bundle.open(sample.path);
    await bundle.close();
    const err = await expectOpenFailure(
      sample.path,
      ArchiveMalformedError,
      ErrorCode.ArchiveMalformed,
      [`${sample.path}!images.tar`, `not ${layerDigest}`, 'corrupted'],
      { verifyLayerDigests: true },
    );
    assert.match(
      err.message,
      new RegExp(`entry ${hex(layerDigest)}\\.tar\\.gz: layer hashes to sha256:[0-9a-f]{64}, `),
    );
  });
});
