// `airlift sync` as an operator runs it: charts-syncer's load-image.yaml as is, a real docker-registry
// with htpasswd and TLS, images and the relocated chart pushed straight from the bundle.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRegistryClient } from '../../../coordinator/registry/index.js';
import { HELM_CHART_MEDIA_TYPE } from '../../../coordinator/sync/index.js';
import { Secret } from '../../../shared/reference/index.js';
import { writeSampleBundle, type SampleBundle } from '../../helpers/fixtures/index.js';
import {
  REGISTRY_PASSWORD,
  REGISTRY_USER,
  startRegistry,
  type RegistryInstance,
} from '../../helpers/registry-instance.js';
import { runCli } from '../../helpers/run-cli.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

interface SyncJson {
  bundles: {
    name: string;
    version: string;
    images: { images: { targets: string[] }[]; blobs: { uploaded: number }; manifests: { pushed: number } };
    chart?: { published: { kind: string; status: string }; changes: { path: string }[] };
  }[];
}

describe('airlift sync', { timeout: 180_000 }, () => {
  let registry: RegistryInstance;
  let tmp: TempDir;
  let sample: SampleBundle;

  before(async () => {
    registry = await startRegistry({ htpasswd: true, tls: true });
    tmp = makeTempDir('airlift-sync-cli');
    sample = await writeSampleBundle(tmp.path, { layerBytes: 64 * 1024 });
  });
  after(async () => {
    await registry.stop();
    await tmp.remove();
  });

  /** A load-image.yaml as charts-syncer reads it; the password only where `inFile`. */
  const loadImageYaml = (name: string, repo: string, inFile = true): string => {
    const file = join(tmp.path, name);
    const password = inFile ? `\n      password: ${REGISTRY_PASSWORD}` : '';
    writeFileSync(
      file,
      [
        'source:',
        `  intermediateBundlesPath: ${tmp.path}`,
        'target:',
        `  containerRegistry: ${registry.host}`,
        '  containerRepository: kairship',
        repo,
        '  containers:',
        '    auth:',
        `      username: ${REGISTRY_USER}${password}`,
        '',
      ].join('\n'),
    );
    return file;
  };
  const ociRepo = (): string =>
    [
      '  repo:',
      '    kind: OCI',
      `    url: oci://${registry.host}/charts`,
      '    auth:',
      `      username: ${REGISTRY_USER}`,
      `      password: ${REGISTRY_PASSWORD}`,
    ].join('\n');

  it('pushes every image and the relocated chart (OCI) to the registry, then finds everything there on a rerun', async () => {
    const config = loadImageYaml('load-image.yaml', ociRepo());
    const args = ['sync', sample.path, '--config', config, '--registry-ca', registry.caFile!];
    const first = await runCli([...args, '-o', 'json']);
    assert.equal(first.exitCode, 0, first.stderr);
    const report = JSON.parse(first.stdout) as SyncJson;
    const synced = report.bundles[0]!;
    assert.equal(synced.images.images.length, sample.images.length);
    assert.ok(
      synced.images.images.every((i) => i.targets.every((t) => t.startsWith(`${registry.host}/kairship/`))),
    );
    assert.ok(synced.chart !== undefined, 'the file names a chart repo');
    assert.equal(synced.chart.published.kind, 'OCI');
    assert.ok(synced.chart.changes.length > 0, 'the chart names the new registry in its values');
    for (const text of [first.stdout, first.stderr]) assert.ok(!text.includes(REGISTRY_PASSWORD));

    const client = createRegistryClient({
      registry: registry.host,
      caFile: registry.caFile!,
      credentials: { username: REGISTRY_USER, password: new Secret(REGISTRY_PASSWORD) },
    });
    try {
      const chart = await client.getManifest(`charts/${synced.name}`, synced.version.replace('+', '_'));
      const manifest = JSON.parse(chart.body.toString('utf8')) as { layers: { mediaType: string }[] };
      assert.equal(manifest.layers[0]?.mediaType, HELM_CHART_MEDIA_TYPE);
    } finally {
      client.close();
    }

    const again = await runCli(args);
    assert.equal(again.exitCode, 0, again.stderr);
    assert.match(again.stdout, /0 manifests pushed .*blobs 0 uploaded/);
  });

  it('publishes to a LOCAL chart repo with an index.yaml, taking the password from the environment', async () => {
    const repoDir = join(tmp.path, 'charts');
    const config = loadImageYaml('local.yaml', `  repo:\n    kind: LOCAL\n    path: ${repoDir}`, false);
    const run = await runCli(['sync', '--config', config, '--registry-ca', registry.caFile!], {
      TARGET_CONTAINERS_AUTH_PASSWORD: REGISTRY_PASSWORD,
    });
    assert.equal(run.exitCode, 0, run.stderr);
    assert.match(run.stdout, /chart {4}published to LOCAL/);
    assert.ok(existsSync(join(repoDir, 'index.yaml')));
    assert.match(readFileSync(join(repoDir, 'index.yaml'), 'utf8'), /digest: [0-9a-f]{64}/);
  });

  it('refuses a wrong password (exit 12) and a file without a registry (exit 2), never printing the password', async () => {
    const wrong = loadImageYaml('wrong.yaml', '', false);
    const denied = await runCli(['sync', sample.path, '--config', wrong, '--registry-ca', registry.caFile!], {
      TARGET_CONTAINERS_AUTH_PASSWORD: 'not-the-password',
    });
    assert.equal(denied.exitCode, 12, denied.stderr);
    assert.match(denied.stderr, /REGISTRY_AUTH_FAILED/);
    assert.ok(!denied.stderr.includes('not-the-password'));

    const bare = join(tmp.path, 'bare.yaml');
    writeFileSync(bare, 'target:\n  containerRepository: kairship\n');
    const refused = await runCli(['sync', sample.path, '--config', bare]);
    assert.equal(refused.exitCode, 2, refused.stderr);
    assert.match(refused.stderr, /target\.containerRegistry/);
  });
});
