import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  createChartPublisher,
  packageChart,
  type ChartPackage,
} from '../../../coordinator/chart-publish/index.js';
import { ChartPublishError, ErrorCode } from '../../../shared/errors/index.js';
import { Secret } from '../../../shared/reference/index.js';
import { expectAirliftRejection } from '../../helpers/airlift-error-assertions.js';
import { startChartMuseumStandIn, type ChartMuseumStandIn } from '../../helpers/chartmuseum-stand-in.js';
import { sampleChartFiles } from '../../helpers/fixtures/index.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

const PASSWORD = 's3cr3t-Pa55word';
const CREATED = new Date('2026-12-07T03:00:00.000Z');

async function packageVersion(root: string, version: string): Promise<ChartPackage> {
  const chartDir = join(root, `chart-${version}`);
  for (const [path, text] of Object.entries(sampleChartFiles(version))) {
    await mkdir(join(chartDir, path, '..'), { recursive: true });
    await writeFile(join(chartDir, path), text);
  }
  return packageChart({ chartDir, outDir: join(root, 'packages') });
}

describe('chart publishers', () => {
  const dir = scratchDir('chart-publish');
  let museum: ChartMuseumStandIn;
  let v21: ChartPackage;
  let v3: ChartPackage;

  before(async () => {
    museum = await startChartMuseumStandIn({ username: 'admin', password: PASSWORD });
    v21 = await packageVersion(dir(), '0.21.0');
    v3 = await packageVersion(dir(), '0.3.0');
  });
  after(async () => {
    await museum.close();
  });

  it('LOCAL copies the package and keeps index.yaml like helm repo index', async () => {
    const repo = join(dir(), 'local-repo');
    const publisher = createChartPublisher({ kind: 'LOCAL', path: repo }, { now: () => CREATED });
    assert.deepEqual(await publisher.publish(v3), {
      kind: 'LOCAL',
      location: join(repo, 'kairship-0.3.0.tgz'),
      status: 'published',
    });
    await publisher.publish(v21);
    await publisher.publish(v21); // again: replaced, not duplicated
    assert.ok((await readFile(join(repo, 'kairship-0.21.0.tgz'))).equals(await readFile(v21.file)));
    const index = parse(await readFile(join(repo, 'index.yaml'), 'utf8')) as {
      apiVersion: string;
      entries: Record<string, Record<string, unknown>[]>;
      generated: string;
    };
    assert.equal(index.apiVersion, 'v1');
    assert.equal(index.generated, CREATED.toISOString());
    const entries = index.entries.kairship ?? [];
    assert.deepEqual(
      entries.map((e) => e.version),
      ['0.21.0', '0.3.0'],
      'newest first, one entry per version',
    );
    assert.deepEqual(entries[0], {
      apiVersion: 'v2',
      name: 'kairship',
      version: '0.21.0',
      appVersion: '0.21.0',
      dependencies: [{ name: 'redis', version: '17.0.0', repository: 'file://charts/redis' }],
      urls: ['kairship-0.21.0.tgz'],
      created: CREATED.toISOString(),
      digest: v21.digest,
    });
  });

  it('CHARTMUSEUM uploads to /api/charts with basic auth; a second upload reports already-present', async () => {
    const publisher = createChartPublisher({
      kind: 'CHARTMUSEUM',
      url: `${museum.url}/`,
      auth: { username: 'admin', password: new Secret(PASSWORD) },
    });
    assert.deepEqual(await publisher.publish(v21), {
      kind: 'CHARTMUSEUM',
      location: `${museum.url}/api/charts`,
      status: 'published',
    });
    assert.deepEqual(await museum.stored(), ['kairship-0.21.0.tgz']);
    assert.ok((await readFile(join(museum.dir, 'kairship-0.21.0.tgz'))).equals(await readFile(v21.file)));
    const upload = museum.requests.at(-1);
    assert.ok(upload !== undefined);
    assert.equal(upload.path, '/api/charts');
    assert.match(upload.contentType, /^multipart\/form-data/);
    assert.equal(upload.authorized, true);
    assert.equal((await publisher.publish(v21)).status, 'already-present');

    const index = await fetch(`${museum.url}/index.yaml`, {
      headers: { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` },
    });
    const parsed = parse(await index.text()) as { entries: Record<string, { digest: string }[]> };
    assert.equal(parsed.entries.kairship?.[0]?.digest, v21.digest);
  });

  it('HARBOR uploads to /api/chartrepo/PROJECT/charts, the project taken from the URL', async () => {
    const publisher = createChartPublisher({
      kind: 'HARBOR',
      url: `${museum.url}/chartrepo/library`,
      auth: { username: 'admin', password: new Secret(PASSWORD) },
    });
    const result = await publisher.publish(v3);
    assert.equal(result.location, `${museum.url}/api/chartrepo/library/charts`);
    assert.equal(result.status, 'published');
    assert.deepEqual(await museum.stored('library'), ['kairship-0.3.0.tgz']);
  });

  it('a wrong password is a clear error naming the repo and chart, never the password', async () => {
    const wrong = 'not-the-Pa55word';
    const publisher = createChartPublisher({
      kind: 'HARBOR',
      url: `${museum.url}/chartrepo/library`,
      auth: { username: 'admin', password: new Secret(wrong) },
    });
    const err = await expectAirliftRejection(
      publisher.publish(v21),
      ChartPublishError,
      ErrorCode.ChartPublishFailed,
      [
        `${museum.url}/chartrepo/library`,
        'kairship-0.21.0',
        'HTTP 401',
        'user "admin"',
        'TARGET_REPO_AUTH_PASSWORD',
      ],
    );
    const shown = [err.message, err.stack ?? '', JSON.stringify(err), inspect(err, { depth: 5 })].join('\n');
    assert.ok(!shown.includes(wrong), 'the password must not appear');
    assert.ok(!shown.includes(Buffer.from(`admin:${wrong}`).toString('base64')), 'nor its basic-auth form');
    assert.equal(museum.requests.at(-1)?.authorized, false);
  });

  it('no credentials against a protected repo, and an unreachable repo, both say what to check', async () => {
    const anonymous = createChartPublisher({ kind: 'CHARTMUSEUM', url: museum.url });
    await expectAirliftRejection(anonymous.publish(v21), ChartPublishError, ErrorCode.ChartPublishFailed, [
      'no credentials were given',
    ]);
    const closed = await startChartMuseumStandIn();
    const url = closed.url;
    await closed.close();
    const gone = createChartPublisher({ kind: 'CHARTMUSEUM', url }, { timeoutMs: 5_000 });
    await expectAirliftRejection(gone.publish(v21), ChartPublishError, ErrorCode.ChartPublishFailed, [
      url,
      'kairship-0.21.0',
      'ECONNREFUSED',
      'target.repo.url',
    ]);
  });

  it('OCI hands the package to the injected push and names the repo when it fails', async () => {
    const pushed: string[] = [];
    const ok = createChartPublisher(
      { kind: 'OCI', url: 'oci://127.0.0.1:5000/charts' },
      {
        pushOci: (pkg) => {
          pushed.push(pkg.file);
          return Promise.resolve();
        },
      },
    );
    assert.equal((await ok.publish(v21)).status, 'published');
    assert.deepEqual(pushed, [v21.file]);
    const failing = createChartPublisher(
      { kind: 'OCI', url: 'oci://127.0.0.1:5000/charts' },
      { pushOci: () => Promise.reject(new Error('manifest upload refused')) },
    );
    await expectAirliftRejection(failing.publish(v21), ChartPublishError, ErrorCode.ChartPublishFailed, [
      'oci://127.0.0.1:5000/charts',
      'kairship-0.21.0',
      'manifest upload refused',
    ]);
  });
});
