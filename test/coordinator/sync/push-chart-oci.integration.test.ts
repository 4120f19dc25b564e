import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { stringify } from 'yaml';

import { createRegistryClient } from '../../../coordinator/registry/index.js';
import {
  HELM_CHART_MEDIA_TYPE,
  HELM_CONFIG_MEDIA_TYPE,
  pushChartOci,
} from '../../../coordinator/sync/index.js';
import { sha256, tarBuffer } from '../../helpers/fixtures/index.js';
import { startRegistry } from '../../helpers/registry-instance.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

describe('pushChartOci', () => {
  it('publishes a chart with helm OCI media types, once', { timeout: 60_000 }, async () => {
    const registry = await startRegistry();
    const dir = makeTempDir('airlift-chart-oci');
    const client = createRegistryClient({ registry: registry.host, plainHttp: true });
    try {
      const chartYaml = {
        apiVersion: 'v2',
        name: 'kairship',
        version: '0.21.0+build.1',
        appVersion: '0.21.0',
      };
      const tgz = gzipSync(
        await tarBuffer([
          { name: 'kairship/Chart.yaml', data: Buffer.from(stringify(chartYaml)) },
          { name: 'kairship/values.yaml', data: Buffer.from('global:\n  imageRegistry: x.io\n') },
        ]),
      );
      const chartTgz = join(dir.path, 'kairship-0.21.0+build.1.tgz');
      await writeFile(chartTgz, tgz);
      const options = {
        client,
        repository: 'charts/kairship',
        chartTgz,
        name: 'kairship',
        version: '0.21.0+build.1',
      };

      const first = await pushChartOci(options);
      assert.equal(first.pushed, true);
      assert.equal(first.reference, `${registry.host}/charts/kairship:0.21.0_build.1`);
      const manifest = await client.getManifest('charts/kairship', '0.21.0_build.1');
      assert.equal(manifest.digest, first.digest);
      assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
      const json = JSON.parse(manifest.body.toString('utf8')) as {
        config: { mediaType: string; digest: string };
        layers: { mediaType: string; digest: string }[];
      };
      assert.equal(json.config.mediaType, HELM_CONFIG_MEDIA_TYPE);
      assert.deepEqual(
        json.layers.map((l) => [l.mediaType, l.digest]),
        [[HELM_CHART_MEDIA_TYPE, sha256(tgz)]],
      );
      const config = await fetchBlob(registry.host, 'charts/kairship', json.config.digest);
      assert.deepEqual(JSON.parse(config.toString('utf8')), chartYaml);

      const second = await pushChartOci(options);
      assert.deepEqual(second, { ...first, pushed: false });
    } finally {
      client.close();
      await dir.remove();
      await registry.stop();
    }
  });
});

async function fetchBlob(host: string, repository: string, digest: string): Promise<Buffer> {
  const res = await fetch(`http://${host}/v2/${repository}/blobs/${digest}`);
  assert.equal(res.status, 200);
  return Buffer.from(await res.arrayBuffer());
}
