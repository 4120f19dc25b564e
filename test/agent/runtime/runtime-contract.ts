import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, hasErrorCode } from '../../../shared/errors/index.js';
import type { ContainerRuntime } from '../../../agent/index.js';
import {
  buildImage,
  buildLayer,
  sampleImages,
  seededBytes,
  writeImageArchive,
  type FixtureImage,
} from '../../helpers/fixtures/index.js';
import { failingAfter, trickle } from '../../helpers/streams.js';

/** How a contract run gets a fresh runtime (own namespace or own daemon) and tears it down. */
export interface RuntimeUnderTest {
  readonly runtime: ContainerRuntime;
  /** A runtime of the same kind at an address where nothing listens. */
  readonly unreachable: ContainerRuntime;
}

/**
 * The behaviour every ContainerRuntime must show against a real daemon: the node job relies on
 * exactly these, so Docker and containerd run the same checks.
 */
export function runtimeContract(
  name: string,
  setup: () => Promise<RuntimeUnderTest>,
  teardown: () => Promise<void>,
): void {
  describe(`${name} runtime against a real daemon`, () => {
    let rt: RuntimeUnderTest;
    let images: FixtureImage[];
    before(async () => {
      rt = await setup();
      images = await sampleImages('9.9.9', 16 * 1024);
    });
    after(teardown);

    it('reports its kind and version', async () => {
      const info = await rt.runtime.info();
      assert.equal(info.kind, rt.runtime.kind);
      assert.match(info.version, /^\d+\.\d+/);
    });

    it('refuses clearly when the daemon does not answer', async () => {
      await assert.rejects(rt.unreachable.info(), (err: unknown) => {
        assert.ok(hasErrorCode(err, ErrorCode.RuntimeUnavailable));
        assert.match(err.message, /does not answer/);
        return true;
      });
    });

    for (const format of ['go-containerregistry', 'docker-save', 'oci-layout'] as const) {
      it(`loads a ${format} archive fed as a trickling stream and knows every image by reference`, async () => {
        const own = await sampleImages(`1.0.${format.length}`, 8 * 1024);
        const archive = await writeImageArchive(own, format);
        const raw = trickle(archive, 3000, 1);
        const { loadableArchiveStream, readImageArchive } =
          await import('../../../shared/image-archive/index.js');
        const { BufferByteSource } = await import('../../../shared/tar/index.js');
        const parsed = await readImageArchive(new BufferByteSource(archive, 'images.tar'));
        const result = await rt.runtime.load(loadableArchiveStream(raw, parsed, rt.runtime.kind));
        assert.ok(
          result.bytes >= archive.length - 1024,
          `counted ${result.bytes} of ${archive.length} bytes`,
        );
        for (const image of own) {
          for (const reference of image.references) {
            const found = await rt.runtime.inspect(reference);
            assert.equal(found?.configDigest, image.configDigest, `${reference} after loading ${format}`);
            assert.equal(found.usable, true, `${reference} is unpacked and complete`);
          }
        }
      });
    }

    for (const format of ['go-containerregistry', 'docker-save'] as const) {
      it(`names the retag targets during the import of a ${format} archive, replacing an old target`, async () => {
        const own = await sampleImages(`2.0.${format.length}`, 8 * 1024);
        const [first, second] = own;
        assert.ok(first !== undefined && second !== undefined);
        const archive = await writeImageArchive(own, format);
        const { describeLoadable, loadableArchiveStream, readImageArchive } =
          await import('../../../shared/image-archive/index.js');
        const { BufferByteSource } = await import('../../../shared/tar/index.js');
        const parsed = await readImageArchive(new BufferByteSource(archive, 'images.tar'));
        const moved = `127.0.0.1:5000/contract/${format}-moved:v2`;
        // The target exists already and points elsewhere: the import must move it, as tag --force does.
        await rt.runtime.load(trickle(await writeImageArchive(images, 'go-containerregistry'), 64 * 1024));
        await rt.runtime.tag(images[0]!.references[0]!, moved);
        const names = own.map((image, i) => ({
          target: i === 0 ? moved : `127.0.0.1:5000/contract/${format}-${i}:v2`,
          configDigest: image.configDigest,
        }));
        const facts = JSON.parse(JSON.stringify(describeLoadable(parsed, names))) as ReturnType<
          typeof describeLoadable
        >;
        await rt.runtime.load(loadableArchiveStream(trickle(archive, 3000, 1), facts, rt.runtime.kind));
        const found = await rt.runtime.inspectAll([
          ...names.map((n) => n.target),
          ...own.flatMap((image) => image.references),
        ]);
        for (const n of names) {
          assert.equal(found.get(n.target)?.configDigest, n.configDigest, `${n.target} named by the import`);
          assert.equal(found.get(n.target)?.usable, true);
        }
        for (const image of own) {
          for (const reference of image.references) {
            assert.equal(found.get(reference)?.configDigest, image.configDigest, `${reference} kept`);
          }
        }
        for (const n of names) await rt.runtime.untag(n.target);
      });
    }

    it('imports a staged archive part by part: each part makes its own images usable, named by their targets', async () => {
      const { importPartStream, planImportParts, readImageArchive } =
        await import('../../../shared/image-archive/index.js');
      const { BufferByteSource } = await import('../../../shared/tar/index.js');
      const { Readable } = await import('node:stream');
      // Images of their own (another version), so earlier tests cannot have loaded them already.
      const own = await sampleImages('9.9.7', 24 * 1024);
      const archive = await writeImageArchive(own, 'go-containerregistry');
      const parsed = await readImageArchive(new BufferByteSource(archive, 'images.tar'));
      const names = own.map((image, i) => ({
        target: `127.0.0.1:5000/contract/staged-${i}:v1`,
        configDigest: image.configDigest,
      }));
      const parts = planImportParts(parsed, names);
      assert.ok(parts !== undefined && parts.length > 1, 'the sample archive splits into parts');
      const done = new Set<string>();
      for (const part of parts) {
        const stream = importPartStream(part, (span) =>
          Readable.from([archive.subarray(span.offset, span.offset + span.length)]),
        );
        await rt.runtime.load(stream);
        for (const item of JSON.parse(part.dockerManifest) as { Config: string }[]) {
          const image = parsed.images.find((candidate) => candidate.config.entry === item.Config);
          if (image !== undefined) done.add(image.configDigest);
        }
        const found = await rt.runtime.inspectAll(names.map((n) => n.target));
        for (const n of names) {
          const image = found.get(n.target);
          if (done.has(n.configDigest)) {
            assert.equal(image?.configDigest, n.configDigest, `${n.target} after its part`);
            assert.equal(image.usable, true, `${n.target} unpacked after its part`);
          } else {
            assert.equal(image, undefined, `${n.target} not before its part`);
          }
        }
      }
      assert.equal(done.size, own.length);
      for (const n of names) await rt.runtime.untag(n.target);
    });

    it('tags, re-tags with force, and untags', async () => {
      await rt.runtime.load(trickle(await writeImageArchive(images, 'go-containerregistry'), 64 * 1024));
      const [a, b] = images;
      assert.ok(a !== undefined && b !== undefined);
      const target = '127.0.0.1:5000/contract/moving:v1';
      await rt.runtime.tag(a.references[0]!, target);
      assert.equal((await rt.runtime.inspect(target))?.configDigest, a.configDigest);
      await rt.runtime.tag(b.references[0]!, target);
      assert.equal(
        (await rt.runtime.inspect(target))?.configDigest,
        b.configDigest,
        'a second tag replaces the first',
      );
      await rt.runtime.untag(target);
      assert.equal(await rt.runtime.inspect(target), undefined);
      assert.equal(
        (await rt.runtime.inspect(b.references[0]!))?.configDigest,
        b.configDigest,
        'untag keeps the source',
      );
      await rt.runtime.untag(target);
    });

    it('says an unknown reference is absent rather than failing', async () => {
      assert.equal(await rt.runtime.inspect('example.invalid/nothing/here:0'), undefined);
    });

    it('fails the load when the archive is corrupt (errors inside the response stream included)', async () => {
      const layer = await buildLayer({ 'x/data.bin': seededBytes('corrupt', 4096) });
      const bad = buildImage(
        ['127.0.0.1:5000/contract/corrupt:v1'],
        [{ ...layer, gzip: seededBytes('garbage', layer.gzip.length) }],
        'corrupt',
      );
      const archive = await writeImageArchive([bad], 'go-containerregistry');
      await assert.rejects(rt.runtime.load(trickle(archive, 8192)), (err: unknown) => {
        assert.ok(hasErrorCode(err, ErrorCode.RuntimeLoadFailed), String(err));
        assert.match(err.message, /loading the image archive failed: \S+/);
        return true;
      });
      const left = await rt.runtime.inspect('127.0.0.1:5000/contract/corrupt:v1');
      assert.ok(left === undefined || !left.usable, 'a failed load leaves nothing that counts as usable');
    });

    it('fails the load when the incoming stream breaks mid-transfer', async () => {
      const archive = await writeImageArchive(images, 'go-containerregistry');
      await assert.rejects(
        rt.runtime.load(
          failingAfter(archive.subarray(0, archive.length >> 1), new Error('connection reset by peer')),
        ),
        (err: unknown) => hasErrorCode(err, ErrorCode.RuntimeLoadFailed),
      );
    });

    it('fails to tag an image it does not have', async () => {
      await assert.rejects(
        rt.runtime.tag('example.invalid/absent/image:1', '127.0.0.1:5000/x/y:1'),
        (err: unknown) => hasErrorCode(err, ErrorCode.RuntimeTagFailed),
      );
    });
  });
}
