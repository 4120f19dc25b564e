import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readImageArchive, type ImageArchive } from '../../../shared/image-archive/index.js';
import { BufferByteSource, checkEntryPath, indexTar } from '../../../shared/tar/index.js';
import {
  HOST_ARCH,
  sampleImages,
  tarBuffer,
  writeImageArchive,
  type FixtureArchiveFormat,
  type FixtureImage,
} from '../../helpers/fixtures/index.js';
import { END_OF_ARCHIVE } from '../../helpers/tar-blocks.js';

const FORMATS: readonly FixtureArchiveFormat[] = ['go-containerregistry', 'docker-save', 'oci-layout'];

/** What each layer is stored as: docker save keeps layers uncompressed, the others gzip them. */
function storedLayer(format: FixtureArchiveFormat, layer: FixtureImage['layers'][number]): Buffer {
  return format === 'docker-save' ? layer.uncompressed : layer.gzip;
}

function read(archive: Buffer): Promise<ImageArchive> {
  return readImageArchive(new BufferByteSource(archive, 'images.tar'));
}

for (const format of FORMATS) {
  describe(`readImageArchive: ${format}`, async () => {
    const images = await sampleImages('0.21.0', 300);
    const raw = await writeImageArchive(images, format);
    const archive = await read(raw);

    it('detects the format and reports no warnings', () => {
      assert.equal(archive.format, format);
      assert.deepEqual(archive.warnings, []);
    });

    it('finds every image once, in archive order, with all its references (the ui image has two)', () => {
      assert.deepEqual(
        archive.images.map((image) => image.references),
        images.map((image) => image.references),
      );
      assert.deepEqual(
        archive.images.find((image) => image.references.some((r) => r.includes('kairship-ui')))?.references,
        [
          'release.daocloud.io/kairship/kairship-ui:v0.21.0',
          'release.daocloud.io/kairship/kairship-ui:latest',
        ],
      );
    });

    it('reports each config digest as the sha256 of the fixture config, with its size', () => {
      for (const [i, image] of archive.images.entries()) {
        const fixture = images[i]!;
        assert.equal(image.configDigest, fixture.configDigest);
        assert.equal(image.config.digest, fixture.configDigest);
        assert.equal(image.config.size, fixture.config.length);
        assert.equal(image.os, 'linux');
        assert.equal(image.architecture, HOST_ARCH);
      }
    });

    it('lists each layer with its stored size and the digest of the stored bytes', () => {
      for (const [i, image] of archive.images.entries()) {
        const fixture = images[i]!;
        assert.equal(image.layers.length, fixture.layers.length);
        for (const [n, layer] of image.layers.entries()) {
          const expected = fixture.layers[n]!;
          assert.equal(layer.size, storedLayer(format, expected).length);
          // docker-save stores layers uncompressed: their bytes hash to the diff_id.
          assert.equal(layer.digest, format === 'docker-save' ? expected.diffId : expected.digest);
        }
        assert.equal(
          image.size,
          fixture.config.length + fixture.layers.reduce((sum, l) => sum + storedLayer(format, l).length, 0),
        );
      }
    });

    it('names blobs that are members holding exactly those bytes', async () => {
      const members = new Map<string, Buffer>();
      for (const entry of await indexTar(new BufferByteSource(raw, 'images.tar'))) {
        const checked = checkEntryPath(entry.name);
        if ('path' in checked)
          members.set(checked.path, raw.subarray(entry.dataOffset, entry.dataOffset + entry.size));
      }
      for (const [i, image] of archive.images.entries()) {
        const fixture = images[i]!;
        assert.deepEqual(members.get(image.config.entry), fixture.config, image.config.entry);
        for (const [n, layer] of image.layers.entries()) {
          assert.deepEqual(members.get(layer.entry), storedLayer(format, fixture.layers[n]!), layer.entry);
        }
      }
    });

    it('counts the shared base layer once in uniqueBlobBytes', () => {
      const distinct = new Map<string, number>();
      for (const image of images) {
        distinct.set(image.configDigest, image.config.length);
        for (const layer of image.layers) distinct.set(layer.diffId, storedLayer(format, layer).length);
      }
      const expected = [...distinct.values()].reduce((a, b) => a + b, 0);
      assert.equal(archive.uniqueBlobBytes, expected);
      const base = images[0]!.layers[0]!;
      assert.equal(images[1]!.layers[0], base);
      const total = archive.images.reduce((sum, image) => sum + image.size, 0);
      assert.equal(total - archive.uniqueBlobBytes, storedLayer(format, base).length);
    });

    it('puts entriesEnd where the end-of-archive marker starts', () => {
      assert.equal(archive.entriesEnd, raw.length - END_OF_ARCHIVE.length);
      assert.deepEqual(raw.subarray(archive.entriesEnd), END_OF_ARCHIVE);
    });

    it('verifyLayerDigests passes on an intact archive', async () => {
      const verified = await readImageArchive(new BufferByteSource(raw, 'images.tar'), {
        verifyLayerDigests: true,
      });
      assert.deepEqual(verified.images, archive.images);
    });
  });
}

describe('readImageArchive: names as written by other tools', async () => {
  const images = await sampleImages('0.21.0', 64);

  it('normalises short Docker Hub names and keeps the raw ones', async () => {
    const raw = await writeImageArchive(images.slice(0, 1), 'go-containerregistry', {
      overrideFirstRepoTags: ['nginx:1.25', 'library/nginx:latest'],
    });
    const [image] = (await read(raw)).images;
    assert.deepEqual(image?.references, ['docker.io/library/nginx:1.25', 'docker.io/library/nginx:latest']);
    assert.deepEqual(image.rawReferences, ['nginx:1.25', 'library/nginx:latest']);
  });

  it('reads an image without RepoTags as an image without references', async () => {
    const raw = await writeImageArchive(images.slice(0, 1), 'go-containerregistry', {
      overrideFirstRepoTags: [],
    });
    const [image] = (await read(raw)).images;
    assert.deepEqual(image?.references, []);
    assert.equal(image.configDigest, images[0]!.configDigest);
  });

  it('reads members whose names start with "./"', async () => {
    const plain = await writeImageArchive(images, 'go-containerregistry');
    const entries = await indexTar(new BufferByteSource(plain, 'x'));
    const dotted = await tarBuffer(
      entries.map((e) => ({
        name: `./${e.name}`,
        data: plain.subarray(e.dataOffset, e.dataOffset + e.size),
      })),
    );
    const archive = await read(dotted);
    assert.deepEqual(
      archive.images.map((i) => [i.configDigest, i.references]),
      images.map((i) => [i.configDigest, i.references]),
    );
  });

  it('reads an archive made with `tar -C dir -cf images.tar .`, whose first member is the "./" directory', async () => {
    const plain = await writeImageArchive(images, 'oci-layout');
    const entries = await indexTar(new BufferByteSource(plain, 'x'));
    const dotted = await tarBuffer([
      { name: './', type: 'directory' },
      ...entries.map((e) => ({
        name: `./${e.name}`,
        ...(e.type === 'directory'
          ? { type: 'directory' as const }
          : { data: plain.subarray(e.dataOffset, e.dataOffset + e.size) }),
      })),
    ]);
    const archive = await read(dotted);
    assert.equal(archive.images.length, images.length);
  });
});
