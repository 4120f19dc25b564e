import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { stringify } from 'yaml';
import { packageChart } from '../../../coordinator/chart-publish/index.js';
import { ChartPublishError, ConfigInvalidError, ErrorCode } from '../../../shared/errors/index.js';
import { expectAirliftRejection } from '../../helpers/airlift-error-assertions.js';
import { sampleChartFiles } from '../../helpers/fixtures/index.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

describe('packageChart', () => {
  const dir = scratchDir('chart-package');

  it('packs <name>-<version>.tgz like helm package, byte for byte the same every time', async () => {
    const chartDir = join(dir(), 'src', 'whatever-dir-name');
    await writeTree(chartDir, sampleChartFiles('0.21.0'));
    const first = await packageChart({ chartDir, outDir: join(dir(), 'a') });
    const second = await packageChart({ chartDir, outDir: join(dir(), 'b') });

    assert.equal(first.file, join(dir(), 'a', 'kairship-0.21.0.tgz'));
    assert.equal(first.name, 'kairship');
    assert.equal(first.version, '0.21.0');
    const bytes = await readFile(first.file);
    assert.ok(bytes.equals(await readFile(second.file)), 'two runs give the same bytes');
    assert.equal(first.digest, second.digest);
    assert.equal(first.digest, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(first.size, bytes.length);

    const listing = execFileSync('tar', ['-tzf', first.file], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(listing, [
      'kairship/Chart.yaml',
      'kairship/values.yaml',
      'kairship/charts/redis/Chart.yaml',
      'kairship/charts/redis/values.yaml',
      'kairship/crds/kairship.io_clusters.yaml',
      'kairship/crds/kairship.io_propagationpolicies.yaml',
      'kairship/templates/apiserver.yaml',
    ]);
    const verbose = execFileSync('tar', ['-tvzf', first.file], { encoding: 'utf8' });
    assert.match(verbose, /^-rw-r--r-- 0\/0 /m);
    const extracted = execFileSync('tar', ['-xzOf', first.file, 'kairship/values.yaml'], {
      encoding: 'utf8',
    });
    assert.equal(extracted, sampleChartFiles('0.21.0')['values.yaml']);
  });

  it('changes the bytes when a file changes', async () => {
    const chartDir = join(dir(), 'src2');
    const files = sampleChartFiles('0.22.0');
    await writeTree(chartDir, files);
    const before = await packageChart({ chartDir, outDir: join(dir(), 'c') });
    await writeFile(join(chartDir, 'values.yaml'), `${files['values.yaml'] ?? ''}extra: 1\n`);
    const after = await packageChart({ chartDir, outDir: join(dir(), 'd') });
    assert.notEqual(before.digest, after.digest);
  });

  it('names the field when Chart.yaml is invalid, and the dir when it is missing', async () => {
    const bad = join(dir(), 'bad');
    await writeTree(bad, { 'Chart.yaml': stringify({ apiVersion: 'v2', name: 'x', version: 'one' }) });
    await expectAirliftRejection(
      packageChart({ chartDir: bad, outDir: join(dir(), 'e') }),
      ConfigInvalidError,
      ErrorCode.ConfigInvalid,
      ['Chart.yaml', 'version'],
    );
    await expectAirliftRejection(
      packageChart({ chartDir: join(dir(), 'missing'), outDir: join(dir(), 'e') }),
      ChartPublishError,
      ErrorCode.ChartPublishFailed,
      ['missing', 'Chart.yaml'],
    );
  });
});
