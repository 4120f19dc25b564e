import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ArchiveMalformedError, ArchiveMissingBlobError, ErrorCode } from '../../../shared/errors/index.js';
import {
  hostPlatform,
  readImageArchive,
  type ReadImageArchiveOptions,
} from '../../../shared/image-archive/index.js';
import { BufferByteSource } from '../../../shared/tar/index.js';
import { sampleImages, type FixtureImage } from '../../helpers/fixtures/index.js';
import { expectAirliftRejection } from '../../helpers/airlift-error-assertions.js';
import {
  descriptorOf,
  DOCKER_MANIFEST_LIST,
  imageBlobs,
  indexBlob,
  OCI_INDEX,
  OCI_MANIFEST,
  ociLayoutTar,
  withArchitecture,
} from '../../helpers/oci-layout-builder.js';

const LABEL = 'b.bundle.tar!images.tar';

function read(archive: Buffer, options: ReadImageArchiveOptions = {}): ReturnType<typeof readImageArchive> {
  return readImageArchive(new BufferByteSource(archive, LABEL), options);
}

const named = (name: string, tag = name.slice(name.lastIndexOf(':') + 1)): Record<string, string> => ({
  'io.containerd.image.name': name,
  'org.opencontainers.image.ref.name': tag,
});

describe('OCI layout: index entries', async () => {
  const [api, , ui] = (await sampleImages('0.21.0', 64)) as [FixtureImage, FixtureImage, FixtureImage];

  it('folds two index entries for one manifest into one image with both references', async () => {
    const { manifest, blobs } = imageBlobs(api);
    const raw = await ociLayoutTar(
      [
        descriptorOf(manifest, OCI_MANIFEST, { annotations: named('r.io/team/api:v1') }),
        descriptorOf(manifest, OCI_MANIFEST, { annotations: named('r.io/team/api:stable') }),
      ],
      blobs,
    );
    const archive = await read(raw);
    assert.equal(archive.images.length, 1);
    assert.deepEqual(archive.images[0]?.references, ['r.io/team/api:v1', 'r.io/team/api:stable']);
    assert.equal(archive.images[0].manifestDigest, manifest.digest);
    assert.equal(archive.images[0].configDigest, api.configDigest);
    assert.deepEqual(archive.warnings, []);
  });

  it('keeps different manifests apart, each with its own references', async () => {
    const a = imageBlobs(api);
    const b = imageBlobs(ui);
    const raw = await ociLayoutTar(
      [
        descriptorOf(a.manifest, OCI_MANIFEST, { annotations: named('r.io/api:1') }),
        descriptorOf(b.manifest, OCI_MANIFEST, { annotations: named('r.io/ui:1') }),
        descriptorOf(a.manifest, OCI_MANIFEST, { annotations: named('r.io/api:2') }),
      ],
      [...a.blobs, ...b.blobs],
    );
    const archive = await read(raw);
    assert.deepEqual(
      archive.images.map((i) => [i.configDigest, i.references]),
      [
        [api.configDigest, ['r.io/api:1', 'r.io/api:2']],
        [ui.configDigest, ['r.io/ui:1']],
      ],
    );
  });

  it('warns about an image named only by a bare tag, and gives it no reference', async () => {
    const { manifest, blobs } = imageBlobs(api);
    const raw = await ociLayoutTar(
      [
        descriptorOf(manifest, OCI_MANIFEST, {
          annotations: { 'org.opencontainers.image.ref.name': 'v0.21.0' },
        }),
      ],
      blobs,
    );
    const archive = await read(raw);
    assert.deepEqual(archive.images[0]?.references, []);
    assert.deepEqual(archive.images[0].rawReferences, ['v0.21.0']);
    assert.equal(archive.warnings.length, 1);
    assert.match(archive.warnings[0]!, /index\.json manifests\[0\]/);
    assert.match(archive.warnings[0]!, /bare tag "v0\.21\.0"/);
    assert.ok(archive.warnings[0]!.startsWith(LABEL));
  });

  it('accepts a full name in org.opencontainers.image.ref.name alone (skopeo style)', async () => {
    const { manifest, blobs } = imageBlobs(api);
    const raw = await ociLayoutTar(
      [
        descriptorOf(manifest, OCI_MANIFEST, {
          annotations: { 'org.opencontainers.image.ref.name': 'r.io/x/api:v9' },
        }),
      ],
      blobs,
    );
    const archive = await read(raw);
    assert.deepEqual(archive.images[0]?.references, ['r.io/x/api:v9']);
    assert.deepEqual(archive.warnings, []);
  });

  it('warns when the oci-layout file is missing but still reads the images', async () => {
    const { manifest, blobs } = imageBlobs(api);
    const raw = await ociLayoutTar(
      [descriptorOf(manifest, OCI_MANIFEST, { annotations: named('r.io/a:1') })],
      blobs,
      {
        ociLayoutFile: false,
      },
    );
    const archive = await read(raw);
    assert.equal(archive.images.length, 1);
    assert.deepEqual(archive.warnings, [`${LABEL}: index.json without an oci-layout file`]);
  });

  it('reports a manifest blob the index names but the archive lacks', async () => {
    const { manifest, blobs } = imageBlobs(api);
    const raw = await ociLayoutTar(
      [descriptorOf(manifest, OCI_MANIFEST, { annotations: named('r.io/a:1') })],
      blobs.filter((b) => b.digest !== manifest.digest),
    );
    await expectAirliftRejection(read(raw), ArchiveMissingBlobError, ErrorCode.ArchiveMissingBlob, [
      `blobs/sha256/${manifest.digest.slice(7)}`,
      'index.json manifests[0]',
    ]);
  });
});

describe('OCI layout: nested multi-platform index', async () => {
  const [base] = await sampleImages('0.21.0', 64);
  const host = hostPlatform();
  const otherArch = host.architecture === 'arm64' ? 'amd64' : 'arm64';
  const hostImage = withArchitecture(base!, host.architecture);
  const otherImage = withArchitecture(base!, otherArch);

  async function multiPlatform(mediaType: string, platforms: readonly FixtureImage[]): Promise<Buffer> {
    const parts = platforms.map((image) => ({ image, ...imageBlobs(image) }));
    const nested = indexBlob(
      parts.map((p) =>
        descriptorOf(p.manifest, OCI_MANIFEST, {
          platform: {
            os: 'linux',
            architecture: (JSON.parse(p.image.config.toString()) as { architecture: string }).architecture,
          },
        }),
      ),
      mediaType,
    );
    return ociLayoutTar(
      [descriptorOf(nested, mediaType, { annotations: named('r.io/multi/app:1.0') })],
      [...parts.flatMap((p) => p.blobs), nested],
    );
  }

  it('picks the host platform by default', async () => {
    const archive = await read(await multiPlatform(OCI_INDEX, [otherImage, hostImage]));
    assert.equal(archive.images.length, 1);
    assert.equal(archive.images[0]?.configDigest, hostImage.configDigest);
    assert.equal(archive.images[0].architecture, host.architecture);
    assert.deepEqual(archive.images[0].references, ['r.io/multi/app:1.0']);
  });

  it('picks the platform asked for', async () => {
    const archive = await read(await multiPlatform(OCI_INDEX, [hostImage, otherImage]), {
      platform: { os: 'linux', architecture: otherArch },
    });
    assert.equal(archive.images[0]?.configDigest, otherImage.configDigest);
  });

  it('reads a Docker manifest list the same way', async () => {
    const archive = await read(await multiPlatform(DOCKER_MANIFEST_LIST, [otherImage, hostImage]));
    assert.equal(archive.images[0]?.configDigest, hostImage.configDigest);
  });

  it('fails naming the platform when the index has none for it', async () => {
    const raw = await multiPlatform(OCI_INDEX, [hostImage, otherImage]);
    await expectAirliftRejection(
      read(raw, { platform: { os: 'linux', architecture: 's390x' } }),
      ArchiveMalformedError,
      ErrorCode.ArchiveMalformed,
      [LABEL, 'blobs/sha256/', 'has no manifest for linux/s390x'],
    );
  });
});
