import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { extract } from 'tar-stream';
import {
  describeLoadable,
  dockerManifestFor,
  loadableArchiveStream,
  readImageArchive,
  type ImageArchive,
} from '../../../shared/image-archive/index.js';
import { BufferByteSource, indexTar } from '../../../shared/tar/index.js';
import { bufferStream, sampleImages, writeImageArchive } from '../../helpers/fixtures/index.js';
import { chunkedStream, collectBytes } from '../../helpers/byte-streams.js';
import { descriptorOf, imageBlobs, OCI_MANIFEST, ociLayoutTar } from '../../helpers/oci-layout-builder.js';

interface DockerManifestItem {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

/** Member names and bytes as tar-stream, an independent reader, sees them. */
async function extractMembers(archive: Buffer): Promise<Map<string, Buffer>> {
  const members = new Map<string, Buffer>();
  const ex = extract();
  bufferStream(archive).pipe(ex);
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    members.set(entry.header.name, Buffer.concat(chunks));
  }
  return members;
}

describe('loadableArchiveStream', async () => {
  const images = await sampleImages('0.21.0', 2000);
  const oci = await writeImageArchive(images, 'oci-layout');
  const ociArchive = await readImageArchive(new BufferByteSource(oci, 'images.tar'));

  async function checkDockerLoadable(out: Buffer, archive: ImageArchive, original: Buffer): Promise<void> {
    // The original members pass through untouched; only the end marker is replaced.
    assert.deepEqual(out.subarray(0, archive.entriesEnd), original.subarray(0, archive.entriesEnd));
    const entries = await indexTar(new BufferByteSource(out, 'loadable.tar'));
    const manifestEntry = entries.at(-1);
    assert.equal(manifestEntry?.name, 'manifest.json');
    assert.equal(entries.filter((e) => e.name === 'manifest.json').length, 1);
    const manifest = JSON.parse(
      out.subarray(manifestEntry.dataOffset, manifestEntry.dataOffset + manifestEntry.size).toString('utf8'),
    ) as DockerManifestItem[];
    const names = new Set(entries.map((e) => e.name));
    assert.equal(manifest.length, images.length);
    for (const [i, item] of manifest.entries()) {
      const fixture = images[i]!;
      assert.equal(item.Config, `blobs/sha256/${fixture.configDigest.slice(7)}`);
      assert.deepEqual(item.RepoTags, fixture.references);
      assert.deepEqual(
        item.Layers,
        fixture.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
      );
      for (const name of [item.Config, ...item.Layers]) assert.ok(names.has(name), `${name} is a member`);
    }
    // tar-stream reads it too, and the blobs hold the fixture's bytes.
    const members = await extractMembers(out);
    assert.deepEqual(members.get(manifest[0]!.Config), images[0]!.config);
    // And airlift reads the result as a docker archive with the same images.
    const again = await readImageArchive(new BufferByteSource(out, 'loadable.tar'));
    assert.equal(again.format, 'go-containerregistry');
    assert.deepEqual(
      again.images.map((i) => [i.configDigest, i.references, i.layers.map((l) => l.digest)]),
      ociArchive.images.map((i) => [i.configDigest, i.references, i.layers.map((l) => l.digest)]),
    );
  }

  it('appends a docker manifest.json to an OCI archive for Docker', async () => {
    const out = await collectBytes(loadableArchiveStream(bufferStream(oci), ociArchive, 'docker'));
    await checkDockerLoadable(out, ociArchive, oci);
  });

  it('works when the raw stream trickles in 1-byte chunks', async () => {
    const out = await collectBytes(loadableArchiveStream(chunkedStream(oci, 1), ociArchive, 'docker'));
    await checkDockerLoadable(out, ociArchive, oci);
  });

  it('works with one big chunk, and with chunks that straddle the end of the members', async () => {
    for (const size of [oci.length, 1000, 4096, ociArchive.entriesEnd - 3]) {
      const out = await collectBytes(loadableArchiveStream(chunkedStream(oci, size), ociArchive, 'docker'));
      await checkDockerLoadable(out, ociArchive, oci);
    }
  });

  it('honours back-pressure: a slow consumer keeps the raw stream from running ahead', async () => {
    const big = await sampleImages('0.21.0', 96 * 1024);
    const raw = await writeImageArchive(big, 'oci-layout');
    const archive = await readImageArchive(new BufferByteSource(raw, 'images.tar'));
    let pulled = 0;
    let consumed = 0;
    let maxLag = 0;
    function* source(): Generator<Buffer> {
      for (let at = 0; at < raw.length; at += 4096) {
        pulled = Math.min(raw.length, at + 4096);
        yield raw.subarray(at, at + 4096);
      }
    }
    const chunks: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        consumed += chunk.length;
        maxLag = Math.max(maxLag, pulled - consumed);
        setImmediate(callback);
      },
    });
    await pipeline(
      loadableArchiveStream(Readable.from(source(), { objectMode: false }), archive, 'docker'),
      slow,
    );
    assert.ok(raw.length > 400 * 1024, `archive of ${raw.length} bytes is large enough to need pausing`);
    // Without pausing, the whole archive would be read ahead of the consumer.
    assert.ok(maxLag < 160 * 1024, `raw stream ran ${maxLag} bytes ahead of the consumer`);
    const out = Buffer.concat(chunks);
    assert.deepEqual(out.subarray(0, archive.entriesEnd), raw.subarray(0, archive.entriesEnd));
    const again = await readImageArchive(new BufferByteSource(out, 'loadable.tar'));
    assert.deepEqual(
      again.images.map((i) => i.configDigest),
      big.map((i) => i.configDigest),
    );
  });

  it('stops reading the raw stream once the members are through', async () => {
    let pulled = 0;
    function* source(): Generator<Buffer> {
      for (let at = 0; at < oci.length; at += 512) {
        pulled = at + 512;
        yield oci.subarray(at, at + 512);
      }
    }
    const raw = Readable.from(source(), { objectMode: false });
    const out = await collectBytes(loadableArchiveStream(raw, ociArchive, 'docker'));
    await checkDockerLoadable(out, ociArchive, oci);
    // The end marker and anything after it are never needed.
    assert.ok(pulled <= ociArchive.entriesEnd + 512 * 4, `pulled ${pulled} of ${oci.length}`);
    await sleep(0);
    assert.ok(raw.destroyed);
  });

  it('fails when the raw stream ends before the members do', async () => {
    const short = chunkedStream(oci.subarray(0, ociArchive.entriesEnd - 100), 4096);
    await assert.rejects(collectBytes(loadableArchiveStream(short, ociArchive, 'docker')), /ended after/);
  });

  it('fails when the raw stream fails', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('disk on fire'));
      },
    });
    await assert.rejects(collectBytes(loadableArchiveStream(failing, ociArchive, 'docker')), /disk on fire/);
  });

  it('keeps only tag references in RepoTags: Docker cannot load digest-only names', async () => {
    const { manifest, blobs } = imageBlobs(images[3]!);
    const byDigest = `r.io/bitnami/redis@${manifest.digest}`;
    const raw = await ociLayoutTar(
      [
        descriptorOf(manifest, OCI_MANIFEST, { annotations: { 'io.containerd.image.name': byDigest } }),
        descriptorOf(manifest, OCI_MANIFEST, {
          annotations: { 'io.containerd.image.name': 'r.io/bitnami/redis:7' },
        }),
      ],
      blobs,
    );
    const archive = await readImageArchive(new BufferByteSource(raw, 'images.tar'));
    assert.deepEqual(archive.images[0]?.references, [byDigest, 'r.io/bitnami/redis:7']);
    const parsed = JSON.parse(dockerManifestFor(archive).toString('utf8')) as DockerManifestItem[];
    assert.deepEqual(parsed, [
      {
        Config: `blobs/sha256/${images[3]!.configDigest.slice(7)}`,
        RepoTags: ['r.io/bitnami/redis:7'],
        Layers: images[3]!.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
      },
    ]);
  });

  it('describeLoadable carries what a node needs: same bytes after a JSON round trip', async () => {
    const facts = JSON.parse(JSON.stringify(describeLoadable(ociArchive))) as ReturnType<
      typeof describeLoadable
    >;
    assert.equal(facts.entriesEnd, ociArchive.entriesEnd);
    const viaFacts = await collectBytes(loadableArchiveStream(chunkedStream(oci, 777), facts, 'docker'));
    const viaArchive = await collectBytes(loadableArchiveStream(bufferStream(oci), ociArchive, 'docker'));
    assert.ok(viaFacts.equals(viaArchive));
    await checkDockerLoadable(viaFacts, ociArchive, oci);
    const ggcr = await writeImageArchive(images, 'go-containerregistry');
    const ggcrFacts = describeLoadable(await readImageArchive(new BufferByteSource(ggcr, 'images.tar')));
    assert.equal(ggcrFacts.dockerManifest, undefined);
    const input = bufferStream(ggcr);
    assert.equal(loadableArchiveStream(input, ggcrFacts, 'docker'), input);
  });

  it('names each image by its retag targets in an appended manifest.json, for both runtimes', async () => {
    const ggcr = await writeImageArchive(images, 'go-containerregistry');
    const archive = await readImageArchive(new BufferByteSource(ggcr, 'images.tar'));
    const names = [
      { target: '10.1.1.1/k/api:v1', configDigest: images[0]!.configDigest },
      { target: '10.1.1.1/k/api@sha256:' + 'c'.repeat(64), configDigest: images[0]!.configDigest },
      { target: '10.1.1.1/k/other:v1', configDigest: images[1]!.configDigest },
    ];
    const facts = JSON.parse(JSON.stringify(describeLoadable(archive, names))) as ReturnType<
      typeof describeLoadable
    >;
    for (const runtime of ['docker', 'containerd'] as const) {
      const out = await collectBytes(loadableArchiveStream(chunkedStream(ggcr, 1000), facts, runtime));
      assert.deepEqual(out.subarray(0, archive.entriesEnd), ggcr.subarray(0, archive.entriesEnd));
      const entries = await indexTar(new BufferByteSource(out, 'loadable.tar'));
      // The original manifest.json stays; the appended one is the last member, which importers keep.
      assert.equal(entries.filter((e) => e.name === 'manifest.json').length, 2);
      assert.equal(entries.at(-1)?.name, 'manifest.json');
      const last = (await extractMembers(out)).get('manifest.json');
      const manifest = JSON.parse(last?.toString('utf8') ?? '[]') as DockerManifestItem[];
      assert.deepEqual(
        manifest.map((item) => item.RepoTags),
        images.map((image, i) => [
          ...image.references,
          ...(i === 0 ? ['10.1.1.1/k/api:v1'] : i === 1 ? ['10.1.1.1/k/other:v1'] : []),
        ]),
      );
    }
  });

  it('passes OCI archives through unchanged for containerd', async () => {
    const raw = bufferStream(oci);
    const out = loadableArchiveStream(raw, ociArchive, 'containerd');
    assert.equal(out, raw);
    assert.deepEqual(await collectBytes(out), oci);
  });

  for (const format of ['go-containerregistry', 'docker-save'] as const) {
    it(`passes ${format} archives through unchanged for both runtimes`, async () => {
      const raw = await writeImageArchive(images, format);
      const archive = await readImageArchive(new BufferByteSource(raw, 'images.tar'));
      for (const runtime of ['docker', 'containerd'] as const) {
        const input = bufferStream(raw);
        const out = loadableArchiveStream(input, archive, runtime);
        assert.equal(out, input);
        assert.deepEqual(await collectBytes(out), raw);
      }
    });
  }
});
