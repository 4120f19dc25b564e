import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ArchiveMalformedError,
  ArchiveMissingBlobError,
  BundleUnsafeEntryError,
  ErrorCode,
  InvalidReferenceError,
} from '../../../shared/errors/index.js';
import { readImageArchive, type ReadImageArchiveOptions } from '../../../shared/image-archive/index.js';
import { BufferByteSource } from '../../../shared/tar/index.js';
import {
  buildLayer,
  sampleImages,
  seededBytes,
  tarBuffer,
  writeImageArchive,
  type FixtureArchiveFormat,
  type FixtureImage,
} from '../../helpers/fixtures/index.js';
import { expectAirliftRejection } from '../../helpers/airlift-error-assertions.js';
import { END_OF_ARCHIVE, withoutEndMarker } from '../../helpers/tar-blocks.js';

const LABEL = 'bundle.tar!images.tar';

function read(archive: Buffer, options: ReadImageArchiveOptions = {}): Promise<unknown> {
  return readImageArchive(new BufferByteSource(archive, LABEL), options);
}

const hex = (digest: string): string => digest.slice('sha256:'.length);

describe('readImageArchive: blobs the manifest names but the archive lacks', async () => {
  const images = await sampleImages('0.21.0', 64);
  const apiserver = images[0]!;
  const ownLayer = apiserver.layers[1]!;

  it('go-containerregistry: a missing layer', async () => {
    const raw = await writeImageArchive(images, 'go-containerregistry', {
      dropBlob: (name) => name === `${hex(ownLayer.digest)}.tar.gz`,
    });
    const err = await expectAirliftRejection(
      read(raw),
      ArchiveMissingBlobError,
      ErrorCode.ArchiveMissingBlob,
      [LABEL, 'manifest.json [0] Layers', `${hex(ownLayer.digest)}.tar.gz`],
    );
    assert.equal(err.context.entry, `${hex(ownLayer.digest)}.tar.gz`);
  });

  it('go-containerregistry: a missing config', async () => {
    const raw = await writeImageArchive(images, 'go-containerregistry', {
      dropBlob: (name) => name === images[2]!.configDigest,
    });
    await expectAirliftRejection(read(raw), ArchiveMissingBlobError, ErrorCode.ArchiveMissingBlob, [
      'manifest.json [2] Config',
      images[2]!.configDigest,
    ]);
  });

  it('docker-save: a missing layer.tar and a missing <id>.json', async () => {
    const noLayer = await writeImageArchive(images, 'docker-save', {
      dropBlob: (n) => n.endsWith('/layer.tar'),
    });
    await expectAirliftRejection(read(noLayer), ArchiveMissingBlobError, ErrorCode.ArchiveMissingBlob, [
      'manifest.json [0] Layers',
      '/layer.tar',
    ]);
    const noConfig = await writeImageArchive(images, 'docker-save', {
      dropBlob: (n) => n === `${hex(apiserver.configDigest)}.json`,
    });
    await expectAirliftRejection(read(noConfig), ArchiveMissingBlobError, ErrorCode.ArchiveMissingBlob, [
      'manifest.json [0] Config',
      `${hex(apiserver.configDigest)}.json`,
    ]);
  });

  it('oci-layout: a missing layer and a missing config', async () => {
    for (const digest of [ownLayer.digest, apiserver.configDigest]) {
      const raw = await writeImageArchive(images, 'oci-layout', {
        dropBlob: (n) => n === `blobs/sha256/${hex(digest)}`,
      });
      await expectAirliftRejection(read(raw), ArchiveMissingBlobError, ErrorCode.ArchiveMissingBlob, [
        `blobs/sha256/${hex(digest)}`,
      ]);
    }
  });
});

describe('readImageArchive: corrupted blobs', async () => {
  const images = await sampleImages('0.21.0', 64);
  // Config bytes changed after the digest was taken: the name no longer matches the content.
  const tampered: FixtureImage = {
    ...images[1]!,
    config: Buffer.from(
      images[1]!.config.toString('utf8').replace('controller-manager', 'controller-managex'),
    ),
  };
  const withTampered = [images[0]!, tampered, ...images.slice(2)];

  for (const format of ['go-containerregistry', 'docker-save', 'oci-layout'] as const) {
    it(`${format}: a config blob whose bytes do not hash to its name`, async () => {
      const raw = await writeImageArchive(withTampered, format);
      await expectAirliftRejection(read(raw), ArchiveMalformedError, ErrorCode.ArchiveMalformed, [
        LABEL,
        hex(tampered.configDigest),
        `not ${tampered.configDigest}`,
        'corrupted',
      ]);
    });
  }

  for (const format of ['go-containerregistry', 'oci-layout'] as const) {
    it(`${format}: verifyLayerDigests catches a layer whose bytes were altered`, async () => {
      const layer = images[2]!.layers[0]!;
      const altered = Buffer.from(layer.gzip);
      altered[altered.length - 20] = altered[altered.length - 20]! ^ 0xff;
      const broken = images.map((image, i) =>
        i === 2 ? { ...image, layers: [{ ...layer, gzip: altered }] } : image,
      );
      const raw = await writeImageArchive(broken, format);
      // Same size, same name: only hashing every byte notices.
      await read(raw);
      await expectAirliftRejection(
        read(raw, { verifyLayerDigests: true }),
        ArchiveMalformedError,
        ErrorCode.ArchiveMalformed,
        [hex(layer.digest), `not ${layer.digest}`],
      );
    });
  }

  it("docker-save: verifyLayerDigests catches an altered layer.tar (its sha256 is the config's diff_id)", async () => {
    const layer = images[2]!.layers[0]!;
    const altered = Buffer.from(layer.uncompressed);
    altered[600] = altered[600]! ^ 0xff;
    const broken = images.map((image, i) =>
      i === 2 ? { ...image, layers: [{ ...layer, uncompressed: altered }] } : image,
    );
    const raw = await writeImageArchive(broken, 'docker-save');
    await expectAirliftRejection(
      read(raw, { verifyLayerDigests: true }),
      ArchiveMalformedError,
      ErrorCode.ArchiveMalformed,
      ['layer.tar', layer.diffId],
    );
  });

  it('a config listing a different number of diff_ids than the manifest lists layers', async () => {
    const extra = await buildLayer({ 'extra.txt': Buffer.from('extra') });
    const mismatched = images.map((image, i) =>
      i === 3 ? { ...image, layers: [...image.layers, extra] } : image,
    );
    for (const format of ['go-containerregistry', 'docker-save', 'oci-layout'] as const) {
      const raw = await writeImageArchive(mismatched, format);
      await expectAirliftRejection(read(raw), ArchiveMalformedError, ErrorCode.ArchiveMalformed, [
        hex(images[3]!.configDigest),
        'config lists 1 layers but',
        'lists 2',
      ]);
    }
  });
});

describe('readImageArchive: invalid references', async () => {
  const images = await sampleImages('0.21.0', 64);
  const cases: [FixtureArchiveFormat, string][] = [
    ['go-containerregistry', 'Release.DaoCloud.io/X:y'],
    ['go-containerregistry', 'a:b:c'],
    ['docker-save', 'release.daocloud.io/kairship/UPPER:v1'],
  ];
  for (const [format, reference] of cases) {
    it(`${format}: RepoTags ${JSON.stringify(reference)}`, async () => {
      const raw = await writeImageArchive(images, format, { overrideFirstRepoTags: [reference] });
      const err = await expectAirliftRejection(read(raw), InvalidReferenceError, ErrorCode.InvalidReference, [
        JSON.stringify(reference),
        'manifest.json [0]',
      ]);
      assert.equal(err.context.file, LABEL);
      assert.equal(err.context.reference, reference);
    });
  }
});

describe('readImageArchive: not an image archive we can read', async () => {
  const images = await sampleImages('0.21.0', 64);

  it('neither manifest.json nor index.json', async () => {
    const raw = await tarBuffer([
      { name: 'README', data: Buffer.from('hello') },
      { name: 'data.bin', data: seededBytes('d', 99) },
    ]);
    await expectAirliftRejection(read(raw), ArchiveMalformedError, ErrorCode.ArchiveMalformed, [
      LABEL,
      'neither manifest.json',
      'nor index.json',
    ]);
  });

  it('a legacy docker save with only `repositories`', async () => {
    const raw = await writeImageArchive(images, 'docker-save', { dropBlob: (n) => n === 'manifest.json' });
    await expectAirliftRejection(read(raw), ArchiveMalformedError, ErrorCode.ArchiveMalformed, [
      'entry repositories',
      'legacy docker save',
    ]);
  });

  const manifests: [string, string, string][] = [
    ['not JSON', '[{"Config": ', 'is not valid JSON'],
    ['an empty list', '[]', 'lists no images'],
    ['an object', '{"Config": "x"}', 'manifest.json'],
    ['no Layers', '[{"Config": "c", "RepoTags": []}]', 'Layers'],
  ];
  for (const [what, text, fragment] of manifests) {
    it(`manifest.json that is ${what}`, async () => {
      const raw = await tarBuffer([
        { name: 'c', data: Buffer.from('{}') },
        { name: 'manifest.json', data: Buffer.from(text) },
      ]);
      await expectAirliftRejection(read(raw), ArchiveMalformedError, ErrorCode.ArchiveMalformed, [
        'manifest.json',
        fragment,
      ]);
    });
  }

  it('index.json with a malformed digest, and with no manifests', async () => {
    const bad = await tarBuffer([
      { name: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
      { name: 'index.json', data: Buffer.from('{"manifests":[{"digest":"sha256:xyz","size":1}]}') },
    ]);
    await expectAirliftRejection(read(bad), ArchiveMalformedError, ErrorCode.ArchiveMalformed, [
      'index.json',
      'digest',
    ]);
    const empty = await tarBuffer([{ name: 'index.json', data: Buffer.from('{"manifests":[]}') }]);
    await expectAirliftRejection(read(empty), ArchiveMalformedError, ErrorCode.ArchiveMalformed, [
      'index.json',
      'lists no manifests',
    ]);
  });
});

describe('readImageArchive: unsafe or duplicated members of images.tar', async () => {
  const images = await sampleImages('0.21.0', 64);
  const good = await writeImageArchive(images.slice(0, 1), 'go-containerregistry');
  const plus = async (...members: Parameters<typeof tarBuffer>[0]): Promise<Buffer> =>
    Buffer.concat([withoutEndMarker(good), withoutEndMarker(await tarBuffer(members)), END_OF_ARCHIVE]);

  const unsafe: [string, Parameters<typeof tarBuffer>[0][number], string][] = [
    ['path traversal', { name: '../evil', data: Buffer.from('x') }, 'traversal'],
    ['an absolute path', { name: '/etc/passwd', data: Buffer.from('x') }, 'absolute'],
    ['a symlink', { name: 'blobs/link', type: 'symlink', linkname: '/etc/shadow' }, 'symlink'],
    ['a hardlink', { name: 'hard', type: 'link', linkname: 'manifest.json' }, 'hardlink'],
  ];
  for (const [what, member, fragment] of unsafe) {
    it(`refuses ${what}`, async () => {
      await expectAirliftRejection(
        read(await plus(member)),
        BundleUnsafeEntryError,
        ErrorCode.BundleUnsafeEntry,
        [LABEL, JSON.stringify(member.name), fragment],
      );
    });
  }

  it('refuses a member that appears twice (also when spelled "./name")', async () => {
    await expectAirliftRejection(
      read(await plus({ name: './manifest.json', data: Buffer.from('[]') })),
      ArchiveMalformedError,
      ErrorCode.ArchiveMalformed,
      ['manifest.json', 'appears twice'],
    );
  });
});
