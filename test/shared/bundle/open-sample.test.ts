import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Bundle, parseBundleFileName } from '../../../shared/bundle/index.js';
import {
  REDIS_REGISTRY,
  SAMPLE_HINTS,
  SAMPLE_REGISTRY,
  sampleChartFiles,
  type FixtureArchiveFormat,
} from '../../helpers/fixtures/index.js';
import { sampleIn } from '../../helpers/bundle-open-assertions.js';
import { collectBytes } from '../../helpers/byte-streams.js';
import { openFdCount, snapshotTree } from '../../helpers/fs-snapshot.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

const FORMATS: readonly FixtureArchiveFormat[] = ['go-containerregistry', 'docker-save', 'oci-layout'];

for (const format of FORMATS) {
  describe(`Bundle.open: the sample bundle with a ${format} images.tar`, () => {
    const dir = scratchDir(`open-${format}`);

    it('reads name, chart, CRDs, subchart, images, hints and the cross-check', async (t) => {
      const sample = await sampleIn(dir(), 'sample', { format });
      const bundle = await Bundle.open(sample.path);
      t.after(() => bundle.close());
      const { info } = bundle;

      assert.equal(info.file, sample.path);
      assert.equal(info.name, 'kairship');
      assert.equal(info.version, '0.21.0');
      assert.equal(info.chart.name, 'kairship');
      assert.equal(info.chart.version, '0.21.0');
      assert.equal(info.chart.appVersion, '0.21.0');
      assert.deepEqual(info.chart.crds, [
        'crds/kairship.io_clusters.yaml',
        'crds/kairship.io_propagationpolicies.yaml',
      ]);
      assert.deepEqual(info.chart.subcharts, [
        { key: 'redis', name: 'redis', version: '17.0.0', path: 'charts/redis' },
      ]);
      // Directory members are not chart files.
      assert.deepEqual([...info.chart.files].sort(), Object.keys(sampleChartFiles('0.21.0')).sort());
      assert.deepEqual(info.extraEntries, []);

      const archive = info.archive;
      assert.equal(archive.format, format);
      assert.deepEqual(archive.warnings, []);
      assert.equal(archive.images.length, sample.images.length);
      for (const fixture of sample.images) {
        const image = archive.images.find((i) => i.configDigest === fixture.configDigest);
        assert.ok(image, `image ${fixture.references.join(', ')} is read`);
        assert.deepEqual(image.references, fixture.references);
        assert.equal(image.layers.length, fixture.layers.length);
        const stored = fixture.layers.map((l) => (format === 'docker-save' ? l.uncompressed : l.gzip).length);
        assert.deepEqual(
          image.layers.map((l) => l.size),
          stored,
        );
      }
      assert.deepEqual(
        archive.images.flatMap((i) => i.references),
        sample.references,
      );
      const ui = archive.images.find((i) =>
        i.references.includes(`${SAMPLE_REGISTRY}/kairship/kairship-ui:v0.21.0`),
      );
      assert.deepEqual(ui?.references, [
        `${SAMPLE_REGISTRY}/kairship/kairship-ui:v0.21.0`,
        `${SAMPLE_REGISTRY}/kairship/kairship-ui:latest`,
      ]);

      // The base layer is shared by apiserver and controller-manager: counted once.
      const base = sample.images[0]!.layers[0]!;
      const baseSize = (format === 'docker-save' ? base.uncompressed : base.gzip).length;
      const total = archive.images.reduce((sum, i) => sum + i.size, 0);
      assert.equal(archive.uniqueBlobBytes, total - baseSize);

      assert.deepEqual(info.hintTemplates, SAMPLE_HINTS);
      assert.deepEqual(
        info.hints.map((h) => h.reference),
        [
          `${SAMPLE_REGISTRY}/kairship/kairship-apiserver:v0.21.0`,
          `${SAMPLE_REGISTRY}/kairship/kairship-controller-manager:v0.21.0`,
          `${SAMPLE_REGISTRY}/kairship/kairship-ui:v0.21.0`,
          // Subchart prefix: registry and repository from redis's defaults, tag from the parent's override.
          `${REDIS_REGISTRY}/bitnami/redis:7.0.5`,
        ],
      );
      assert.deepEqual(info.crossCheck, {
        missingFromArchive: [],
        unrenderable: [],
        notInHints: [`${SAMPLE_REGISTRY}/kairship/kairship-ui:latest`],
      });
    });

    it('locates images.tar as a byte range of the bundle file, and streams exactly those bytes', async (t) => {
      const sample = await sampleIn(dir(), 'range', { format });
      const bundle = await Bundle.open(sample.path);
      t.after(() => bundle.close());
      const { offset, length } = bundle.info.imagesTar;
      const file = await readFile(sample.path);
      assert.equal(length, sample.spec.imagesTar.length);
      assert.ok(file.subarray(offset, offset + length).equals(sample.spec.imagesTar));
      assert.ok((await collectBytes(bundle.openImagesStream())).equals(sample.spec.imagesTar));
      const source = bundle.imagesSource();
      assert.equal(source.label, `${sample.path}!images.tar`);
      assert.equal(source.size, length);
      assert.ok((await source.read(0, length)).equals(sample.spec.imagesTar));
      assert.ok(
        (await collectBytes(source.stream(100, 1000))).equals(sample.spec.imagesTar.subarray(100, 1100)),
      );
      // Two streams at once do not disturb each other.
      const [a, b] = await Promise.all([
        collectBytes(bundle.openImagesStream()),
        collectBytes(bundle.openImagesStream()),
      ]);
      assert.ok(a.equals(sample.spec.imagesTar) && b.equals(sample.spec.imagesTar));
    });

    it('reads chart files by path, and refuses paths it does not have', async (t) => {
      const sample = await sampleIn(dir(), 'files', { format });
      const bundle = await Bundle.open(sample.path);
      t.after(() => bundle.close());
      const files = sampleChartFiles('0.21.0');
      assert.equal((await bundle.readChartFile('values.yaml')).toString(), files['values.yaml']);
      assert.equal(
        (await bundle.readChartFile('crds/kairship.io_clusters.yaml')).toString(),
        files['crds/kairship.io_clusters.yaml'],
      );
      await assert.rejects(bundle.readChartFile('nope.yaml'), /no chart file original-chart\/nope\.yaml/);
    });
  });
}

describe('Bundle.open: names and housekeeping', () => {
  const dir = scratchDir('open-names');

  it('takes name and version from the file name when it follows <name>_<version>.bundle.tar', async (t) => {
    const sample = await sampleIn(dir(), 'renamed');
    const path = join(dir(), 'renamed', 'kairship-hotfix_v0.21.0-rc.1.bundle.tar');
    await copyFile(sample.path, path);
    const bundle = await Bundle.open(path);
    t.after(() => bundle.close());
    assert.equal(bundle.info.name, 'kairship-hotfix');
    assert.equal(bundle.info.version, 'v0.21.0-rc.1');
    assert.equal(bundle.info.chart.version, '0.21.0');
  });

  it('falls back to Chart.yaml for any other file name', async (t) => {
    const sample = await sampleIn(dir(), 'other', { version: '1.2.3' });
    const path = join(dir(), 'other', 'download.tar');
    await copyFile(sample.path, path);
    const bundle = await Bundle.open(path);
    t.after(() => bundle.close());
    assert.equal(bundle.info.name, 'kairship');
    assert.equal(bundle.info.version, '1.2.3');
  });

  it('parseBundleFileName follows the charts-syncer pattern', () => {
    assert.deepEqual(parseBundleFileName('/x/mcamel-mongodb_0.3.1.bundle.tar'), {
      name: 'mcamel-mongodb',
      version: '0.3.1',
    });
    assert.deepEqual(parseBundleFileName('a+b_1_2.bundle.tar'), { name: 'a+b', version: '1_2' });
    for (const bad of [
      'kairship_v0.14.0_amd64.tar',
      '1abc_1.0.bundle.tar',
      'kairship_.bundle.tar',
      'kairship.bundle.tar',
    ]) {
      assert.equal(parseBundleFileName(bad), undefined, bad);
    }
  });

  it('reads a bundle whose members are all prefixed "./"', async (t) => {
    const sample = await sampleIn(dir(), 'dotted', { mutate: (spec) => ({ ...spec, namePrefix: './' }) });
    const bundle = await Bundle.open(sample.path);
    t.after(() => bundle.close());
    assert.equal(bundle.info.archive.images.length, 4);
    assert.equal(bundle.info.chart.crds.length, 2);
    assert.equal(bundle.info.crossCheck.missingFromArchive.length, 0);
    assert.ok((await collectBytes(bundle.openImagesStream())).equals(sample.spec.imagesTar));
  });

  it('lists members outside the three parts as extra entries', async (t) => {
    const sample = await sampleIn(dir(), 'extra', {
      mutate: (spec) => ({ ...spec, extraMembers: [{ name: 'README.md', data: Buffer.from('# notes') }] }),
    });
    const bundle = await Bundle.open(sample.path);
    t.after(() => bundle.close());
    assert.deepEqual(bundle.info.extraEntries, ['README.md']);
  });

  it('writes nothing, holds one descriptor while open, and releases it on close (twice is safe)', async () => {
    const sample = await sampleIn(dir(), 'fds');
    const tree = await snapshotTree(dir());
    const fds = openFdCount();
    const bundle = await Bundle.open(sample.path, { verifyLayerDigests: true });
    assert.equal(openFdCount(), fds + 1);
    const stream = bundle.openImagesStream();
    await collectBytes(stream);
    if (!stream.closed) await once(stream, 'close');
    await bundle.close();
    await bundle.close();
    assert.equal(openFdCount(), fds);
    assert.deepEqual(await snapshotTree(dir()), tree);
  });
});
