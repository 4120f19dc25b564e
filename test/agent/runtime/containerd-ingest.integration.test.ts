import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { ContainerdApi } from '../../../agent/runtime/containerd-api.js';
import { ContainerdWriteApi, openIngest } from '../../../agent/runtime/containerd-ingest/index.js';
import { checkImages } from '../../../agent/runtime/image-check.js';
import { ErrorCode, RuntimeBlobRejectedError } from '../../../shared/errors/index.js';
import { assertAirliftError, rejectionOf } from '../../helpers/airlift-error-assertions.js';
import { startContainerd, type ContainerdInstance } from '../../helpers/containerd-instance.js';
import { sampleImages, sha256, writeImageArchive, type FixtureImage } from '../../helpers/fixtures/index.js';
import { ingestArchive, planImages, type PlannedImage } from './containerd-ingest/archive-driver.js';
import { recordingWriter } from './containerd-ingest/recording-writer.js';

const NS = 'k8s.io';
const TIMEOUT = { timeout: 60_000 };

describe('containerd ingest: an archive imported blob by blob through the API', () => {
  let daemon: ContainerdInstance;
  let writer: ContainerdWriteApi;
  let reader: ContainerdApi;
  let images: FixtureImage[];
  let archive: Buffer;
  let plan: PlannedImage[];
  const ctr = async (...args: string[]): Promise<string> =>
    (await execa('ctr', ['-a', daemon.address, '-n', NS, ...args], { timeout: 20_000 })).stdout;
  const targets = (): string[] => plan.flatMap((image) => [...image.targets]);

  before(async () => {
    daemon = await startContainerd();
    writer = new ContainerdWriteApi({ address: daemon.address, namespace: NS });
    reader = new ContainerdApi({ address: daemon.address, namespace: NS });
    images = await sampleImages('9.9.7', 16 * 1024);
    archive = await writeImageArchive(images, 'go-containerregistry');
    plan = planImages(
      images,
      images.map((_, i) => [`127.0.0.1:5000/ingest/image-${i}:v1`]),
    );
  });
  after(async () => {
    writer.close();
    reader.close();
    await daemon.stop();
  });

  it(
    'streams the blobs in, unpacks each layer while later blobs still arrive, names the targets',
    TIMEOUT,
    async () => {
      const { api, log } = recordingWriter(writer);
      const { unpacked, skipped } = await ingestArchive(api, archive, plan, { chunk: 4096 });
      assert.deepEqual(skipped, []);
      // Four images over five distinct layers: the shared base is applied once, whichever image wins.
      assert.equal(
        unpacked.reduce((sum, u) => sum + u.applied, 0),
        5,
      );
      // The first layer was unpacked before the archive's last blob was committed: unpacking overlaps.
      const firstApply = log.calls.find((c) => c.method === 'applyDiff')?.at ?? Infinity;
      const lastWrite = log.calls.filter((c) => c.method === 'openWrite').at(-1)?.at ?? 0;
      assert.ok(firstApply < lastWrite, 'a layer was applied before the last blob was opened');

      // ctr's own verdict: every blob present, every image unpacked.
      const check = await ctr('images', 'check');
      for (const name of targets()) {
        const line = check.split('\n').find((l) => l.startsWith(`${name} `));
        assert.ok(line !== undefined, `ctr images check lists ${name}:\n${check}`);
        assert.match(line, /complete \((\d+)\/\1\)/);
        assert.match(line, /\btrue\s*$/);
      }
      const verdict = await checkImages(targets(), {
        api: reader,
        snapshotter: 'overlayfs',
        blobs: new Map(),
      });
      assert.deepEqual(
        plan.map((image) => verdict.get(image.targets[0] ?? '')),
        plan.map((image, i) => ({
          reference: image.targets[0],
          configDigest: images[i]?.configDigest,
          usable: true,
        })),
      );
    },
  );

  it('sets exactly the labels ctr images import sets, on blobs with the same digests', TIMEOUT, async () => {
    const other = 'ctr-import';
    await execa('ctr', ['-a', daemon.address, '-n', other, 'images', 'import', '-'], {
      input: archive,
      timeout: 30_000,
    });
    const theirs = new ContainerdWriteApi({ address: daemon.address, namespace: other });
    try {
      const listed = await execa('ctr', ['-a', daemon.address, '-n', other, 'images', 'ls'], {
        timeout: 10_000,
      });
      for (const [i, image] of plan.entries()) {
        const name = images[i]?.references[0] ?? '';
        const row = listed.stdout.split('\n').find((l) => l.startsWith(`${name} `));
        assert.ok(
          row?.includes(image.manifest.descriptor.digest),
          `ctr import gave ${name} our manifest digest`,
        );
        for (const blob of [image.manifest.descriptor, image.config, ...image.layers]) {
          const ours = await writer.contentInfo(blob.digest);
          const ctrs = await theirs.contentInfo(blob.digest);
          assert.deepEqual(ours?.labels, ctrs?.labels, `labels of ${blob.mediaType} ${blob.digest}`);
        }
      }
    } finally {
      theirs.close();
    }
  });

  it(
    'keeps every image usable through a GC run after the lease ends, and nothing else',
    TIMEOUT,
    async () => {
      const stray = Buffer.from('written under the lease, named by no image');
      const ingest = await openIngest(writer, { snapshotter: 'overlayfs' });
      await ingest.writeBlob(
        { mediaType: 'application/octet-stream', digest: sha256(stray), size: stray.length },
        stray,
      );
      assert.ok((await writer.contentInfo(sha256(stray))) !== undefined);
      await ingest.close({ collect: true });

      assert.equal(await writer.contentInfo(sha256(stray)), undefined, 'GC ran and took the unnamed blob');
      const expected = new Set(
        plan.flatMap((i) => [i.manifest.descriptor, i.config, ...i.layers].map((d) => d.digest)),
      );
      const stored = new Set((await ctr('content', 'ls', '-q')).split('\n').filter((l) => l !== ''));
      assert.deepEqual([...stored].sort(), [...expected].sort());
      assert.equal(
        (await ctr('content', 'active')).split('\n').length,
        1,
        'no ingest left (header line only)',
      );
      const snapshots = (await ctr('snapshots', '--snapshotter', 'overlayfs', 'ls')).split('\n').slice(1);
      assert.equal(
        snapshots.filter((l) => l !== '').length,
        5,
        'one committed snapshot per chain, no extraction left',
      );
      assert.ok(
        snapshots.every((l) => l === '' || /\bCommitted\s*$/.test(l)),
        snapshots.join('\n'),
      );
      const verdict = await checkImages(targets(), {
        api: reader,
        snapshotter: 'overlayfs',
        blobs: new Map(),
      });
      assert.ok([...verdict.values()].every((v) => v.usable) && verdict.size === targets().length);
    },
  );

  it(
    'writes no blob and applies no layer again on a second import of the same archive',
    TIMEOUT,
    async () => {
      const { api, log } = recordingWriter(writer);
      const again = planImages(
        images,
        images.map((_, i) => [`127.0.0.1:5000/ingest/again-${i}:v1`]),
      );
      const { unpacked, skipped } = await ingestArchive(api, archive, again, { chunk: 4096, collect: true });
      assert.equal(log.count('openWrite'), 0);
      assert.equal(log.count('applyDiff'), 0);
      assert.equal(skipped.length, 9, 'four configs and five layers were already there');
      assert.deepEqual(
        unpacked.map((u) => u.applied),
        [0, 0, 0, 0],
      );
      const names = again.flatMap((image) => [...image.targets]);
      const verdict = await checkImages(names, { api: reader, snapshotter: 'overlayfs', blobs: new Map() });
      assert.ok([...verdict.values()].every((v) => v.usable) && verdict.size === names.length);
    },
  );

  it('refuses a layer whose bytes do not match its digest, and says so', TIMEOUT, async () => {
    const layer = images[0]?.layers[1];
    assert.ok(layer !== undefined);
    // A new digest (never stored), and bytes that hash to something else.
    const claimed = {
      mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
      digest: sha256(Buffer.from('claimed')),
      size: layer.gzip.length,
    };
    const ingest = await openIngest(writer, { snapshotter: 'overlayfs' });
    try {
      const sink = await ingest.blob(claimed);
      const waiting = ingest.ready(claimed.digest);
      for (let at = 0; at < layer.gzip.length; at += 1000)
        await sink.write(layer.gzip.subarray(at, at + 1000));
      const err = await rejectionOf(sink.commit());
      assertAirliftError(err, RuntimeBlobRejectedError, ErrorCode.RuntimeBlobRejected, [
        claimed.digest,
        'unexpected commit digest',
      ]);
      assert.equal(
        await rejectionOf(waiting),
        err,
        'an unpack waiting for the blob fails with the same error',
      );
    } finally {
      await ingest.close({ collect: true });
    }
    assert.equal(await writer.contentInfo(claimed.digest), undefined);
    assert.equal((await ctr('content', 'active')).split('\n').length, 1, 'the refused ingest was cleaned up');
  });
});
