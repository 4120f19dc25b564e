import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { extractChart, findChartDifference, type ChartSource } from '../../../coordinator/kube/index.js';
import { Bundle } from '../../../shared/bundle/index.js';
import { BundleUnsafeEntryError, ChartExtractError, ErrorCode } from '../../../shared/errors/index.js';
import { expectAirliftRejection } from '../../helpers/airlift-error-assertions.js';
import { tarBuffer, writeSampleBundle } from '../../helpers/fixtures/index.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

/** Every file under `dir`, relative, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe('extractChart', () => {
  const dir = scratchDir('chart-extract');
  let bundle: Bundle;
  let packed: Buffer;

  before(async () => {
    packed = gzipSync(
      await tarBuffer([
        {
          name: 'extra/Chart.yaml',
          data: Buffer.from(stringify({ apiVersion: 'v2', name: 'extra', version: '1.0.0' })),
        },
        { name: 'extra/values.yaml', data: Buffer.from('replicas: 1\n') },
      ]),
    );
    const sample = await writeSampleBundle(dir(), {
      layerBytes: 256,
      mutate: (spec) => ({ ...spec, chartFiles: { ...spec.chartFiles, 'charts/extra-1.0.0.tgz': packed } }),
    });
    bundle = await Bundle.open(sample.path);
  });
  after(async () => {
    await bundle.close();
  });

  it('writes every chart file, CRDs and subcharts included, 0644 files in 0755 dirs', async () => {
    const dest = join(dir(), 'chart');
    const result = await extractChart(bundle, dest);
    const expected = [...bundle.info.chart.files].sort();
    assert.deepEqual(await filesUnder(dest), expected);
    assert.equal(result.files, expected.length);
    for (const path of [
      'Chart.yaml',
      'crds/kairship.io_clusters.yaml',
      'crds/kairship.io_propagationpolicies.yaml',
      'charts/redis/Chart.yaml',
      'charts/redis/values.yaml',
    ]) {
      assert.ok(expected.includes(path), path);
      assert.deepEqual(await readFile(join(dest, path)), await bundle.readChartFile(path), path);
      assert.equal((await stat(join(dest, path))).mode & 0o777, 0o644, path);
    }
    for (const sub of ['', 'crds', 'charts', 'charts/redis', 'templates']) {
      assert.equal((await stat(join(dest, sub))).mode & 0o777, 0o755, sub);
    }
    assert.equal(await findChartDifference(bundle, dest), undefined);
  });

  it('copies a packed subchart as the .tgz file it is', async () => {
    const dest = join(dir(), 'packed');
    await extractChart(bundle, dest);
    assert.deepEqual(await readFile(join(dest, 'charts/extra-1.0.0.tgz')), packed);
  });

  it('refuses a non-empty destination and leaves it alone', async () => {
    const dest = join(dir(), 'busy');
    await mkdir(dest);
    await writeFile(join(dest, 'Chart.yaml'), 'mine');
    await expectAirliftRejection(
      extractChart(bundle, dest),
      ChartExtractError,
      ErrorCode.ChartExtractFailed,
      [dest, 'not empty', 'Chart.yaml'],
    );
    assert.deepEqual(await readdir(dest), ['Chart.yaml']);
    assert.equal(await readFile(join(dest, 'Chart.yaml'), 'utf8'), 'mine');
  });

  it('uses an existing empty directory', async () => {
    const dest = join(dir(), 'empty');
    await mkdir(dest);
    await extractChart(bundle, dest);
    assert.ok((await readdir(dest)).includes('Chart.yaml'));
  });

  it('refuses paths that would leave the destination, before writing anything', async () => {
    for (const evil of ['../escape.yaml', 'templates/../../escape.yaml', '/etc/passwd', 'a\\b']) {
      const source: ChartSource = {
        info: {
          file: '/bundles/evil.bundle.tar',
          chart: { name: 'evil', version: '1.0.0', files: ['Chart.yaml', evil], crds: [] },
        },
        readChartFile: () => Promise.resolve(Buffer.from('x')),
      };
      const dest = join(dir(), 'evil', String(evil.length));
      const err = await expectAirliftRejection(
        extractChart(source, dest),
        BundleUnsafeEntryError,
        ErrorCode.BundleUnsafeEntry,
        ['/bundles/evil.bundle.tar', 'unsafe'],
      );
      assert.equal(err.context.entry, `original-chart/${evil}`);
      await assert.rejects(readdir(dest), { code: 'ENOENT' });
    }
    await assert.rejects(stat(join(dir(), 'escape.yaml')), { code: 'ENOENT' });
  });

  it('findChartDifference names a changed, missing or extra file', async () => {
    const dest = join(dir(), 'diff');
    await extractChart(bundle, dest);
    await writeFile(join(dest, 'templates/apiserver.yaml'), 'edited');
    assert.equal(await findChartDifference(bundle, dest), 'templates/apiserver.yaml differs from the bundle');
    await writeFile(
      join(dest, 'templates/apiserver.yaml'),
      await bundle.readChartFile('templates/apiserver.yaml'),
    );
    await writeFile(join(dest, 'templates/extra.yaml'), 'kind: ConfigMap');
    assert.equal(await findChartDifference(bundle, dest), 'templates/extra.yaml is not in the bundle');
  });
});
