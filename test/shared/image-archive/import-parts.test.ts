import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import {
  importPartStream,
  planImportParts,
  readImageArchive,
  type ImageArchive,
  type ImportPart,
} from '../../../shared/image-archive/index.js';
import { BufferByteSource } from '../../../shared/tar/index.js';
import { sampleImages, writeImageArchive } from '../../helpers/fixtures/index.js';
import { collectBytes } from '../../helpers/byte-streams.js';

interface DockerManifestItem {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

const manifestOf = (part: ImportPart): DockerManifestItem[] =>
  JSON.parse(part.dockerManifest) as DockerManifestItem[];

/** A part's stream read straight from the archive bytes, as the agent reads it from its piece store. */
function partBytes(archive: Buffer, part: ImportPart): Promise<Buffer> {
  return collectBytes(
    importPartStream(part, (span) =>
      Readable.from([archive.subarray(span.offset, span.offset + span.length)]),
    ),
  );
}

describe('planImportParts', async () => {
  // Four images: apiserver and controller-manager share a base layer, ui (two tags) and redis stand alone.
  const images = await sampleImages('0.21.0', 40_000);
  const ggcr = await writeImageArchive(images, 'go-containerregistry');
  const archive = await readImageArchive(new BufferByteSource(ggcr, 'images.tar'));
  const spanEnd = (image: ImageArchive['images'][number]): number =>
    Math.max(...[image.config, ...image.layers].map((b) => b.span.offset + b.span.length));

  it('gives each image its own part, in the order their last members end', () => {
    const parts = planImportParts(archive);
    assert.ok(parts !== undefined);
    assert.equal(parts.length, archive.images.length);
    const order = [...archive.images].sort((a, b) => spanEnd(a) - spanEnd(b));
    assert.deepEqual(
      parts.map((part) => manifestOf(part).map((item) => item.Config)),
      order.map((image) => [image.config.entry]),
    );
  });

  it('makes every part a tar that holds exactly its images, byte for byte, named by the retag targets too', async () => {
    const target = 'registry.local:5000/kairship/kairship-ui:v0.21.0';
    const ui = archive.images.find((image) => image.references.some((r) => r.includes('kairship-ui')));
    assert.ok(ui !== undefined);
    const parts = planImportParts(archive, [{ target, configDigest: ui.configDigest }]);
    assert.ok(parts !== undefined);
    const seen = new Set<string>();
    for (const part of parts) {
      for (const [i, span] of part.spans.entries()) {
        assert.equal(span.offset % 512, 0);
        const next = part.spans[i + 1];
        if (next !== undefined) assert.ok(span.offset + span.length < next.offset, 'joined when adjacent');
      }
      const bytes = await partBytes(ggcr, part);
      const read = await readImageArchive(new BufferByteSource(bytes, 'part.tar'));
      assert.equal(read.format, 'go-containerregistry');
      for (const image of read.images) {
        const original = archive.images.find((o) => o.configDigest === image.configDigest);
        assert.ok(original !== undefined, `${image.configDigest} is one of the archive's images`);
        assert.deepEqual(
          image.layers.map((layer) => layer.digest),
          original.layers.map((layer) => layer.digest),
        );
        const expected: string[] = [...original.references, ...(original === ui ? [target] : [])];
        assert.deepEqual(image.references, expected);
        seen.add(image.configDigest);
      }
    }
    assert.deepEqual([...seen].sort(), archive.images.map((image) => image.configDigest).sort());
  });

  it('repeats a shared layer in every part that needs it, since a docker manifest names layers by member', () => {
    const parts = planImportParts(archive);
    assert.ok(parts !== undefined);
    const base = archive.images[0]?.layers[0];
    assert.ok(base !== undefined);
    const holding = parts.filter((part) =>
      part.spans.some((s) => s.offset <= base.span.offset && base.span.offset < s.offset + s.length),
    );
    assert.equal(holding.length, 2);
  });

  it('joins the closest neighbours when there are more images than maxParts', () => {
    const parts = planImportParts(archive, [], { maxParts: 2 });
    assert.ok(parts !== undefined);
    assert.equal(parts.length, 2);
    assert.equal(parts.flatMap(manifestOf).length, archive.images.length);
    const last = parts.at(-1);
    assert.ok(last !== undefined);
    // The part that ends the archive must wait for its last byte whatever the grouping.
    assert.equal(
      Math.max(...last.spans.map((s) => s.offset + s.length)),
      Math.max(...archive.images.map(spanEnd)),
    );
  });

  it('joins images whose last members end closer than minGapBytes', () => {
    const parts = planImportParts(archive, [], { minGapBytes: archive.entriesEnd });
    assert.equal(parts, undefined, 'one part left: import whole');
  });

  it('leaves OCI layouts and single images to one import', async () => {
    const oci = await writeImageArchive(images, 'oci-layout');
    const ociArchive = await readImageArchive(new BufferByteSource(oci, 'images.tar'));
    assert.equal(planImportParts(ociArchive), undefined);
    const one = await writeImageArchive(images.slice(0, 1), 'docker-save');
    assert.equal(planImportParts(await readImageArchive(new BufferByteSource(one, 'images.tar'))), undefined);
  });

  it('plans docker-save archives too, whose members carry their own directories', async () => {
    const saved = await writeImageArchive(images, 'docker-save');
    const savedArchive = await readImageArchive(new BufferByteSource(saved, 'images.tar'));
    const parts = planImportParts(savedArchive);
    assert.ok(parts !== undefined && parts.length >= 2);
    for (const part of parts) {
      const read = await readImageArchive(new BufferByteSource(await partBytes(saved, part), 'part.tar'));
      assert.deepEqual(
        read.images.map((image) => image.configDigest),
        manifestOf(part).map(
          (item) => savedArchive.images.find((image) => image.config.entry === item.Config)?.configDigest,
        ),
      );
    }
  });
});
