import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execa } from 'execa';

import {
  createRegistryClient,
  RegistryAuthFailedError,
  type RegistryClient,
  type RegistryClientOptions,
} from '../../../coordinator/registry/index.js';
import { pushBundleImages, type PushProgress } from '../../../coordinator/sync/index.js';
import { Bundle } from '../../../shared/bundle/index.js';
import { ErrorCode } from '../../../shared/errors/index.js';
import { Secret } from '../../../shared/reference/index.js';
import { assertAirliftError, rejectionOf } from '../../helpers/airlift-error-assertions.js';
import {
  HOST_ARCH,
  sampleImages,
  writeSampleBundle,
  type SampleBundle,
} from '../../helpers/fixtures/index.js';
import {
  descriptorOf,
  imageBlobs,
  indexBlob,
  manifestBlob,
  OCI_INDEX,
  OCI_MANIFEST,
  ociLayoutTar,
  withArchitecture,
} from '../../helpers/oci-layout-builder.js';
import { requireBinary } from '../../helpers/host-prereqs.js';
import {
  REGISTRY_PASSWORD,
  REGISTRY_USER,
  startRegistry,
  type RegistryInstance,
} from '../../helpers/registry-instance.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

/** A client for the test registry, with TLS from its CA and the htpasswd user. */
export function clientFor(registry: RegistryInstance, password = REGISTRY_PASSWORD): RegistryClient {
  const options: RegistryClientOptions = {
    registry: registry.host,
    credentials: { username: REGISTRY_USER, password: new Secret(password) },
    attempts: 2,
    backoffMs: 50,
    ...(registry.caFile === undefined ? { plainHttp: true } : { caFile: registry.caFile }),
  };
  return createRegistryClient(options);
}

/** The target of a sample reference under the plain registry rule. */
function retagged(reference: string, host: string): string {
  return `${host}/${reference.slice(reference.indexOf('/') + 1)}`;
}

describe('pushBundleImages against docker-registry with htpasswd and TLS', { timeout: 120_000 }, () => {
  let registry: RegistryInstance;
  let dir: TempDir;
  let sample: SampleBundle;
  let bundle: Bundle;

  before(async () => {
    registry = await startRegistry({ htpasswd: true, tls: true });
    dir = makeTempDir('airlift-push');
    sample = await writeSampleBundle(dir.path, { layerBytes: 200 * 1024 });
    bundle = await Bundle.open(sample.path);
  });
  after(async () => {
    await bundle.close();
    await registry.stop();
    await dir.remove();
  });

  it('pushes every image under its retagged name, mounting a shared layer across repositories', async () => {
    const client = clientFor(registry);
    const progress: PushProgress[] = [];
    try {
      const result = await pushBundleImages({
        bundle,
        rule: { kind: 'registry', registry: registry.host },
        client,
        concurrency: 2,
        onProgress: (p) => progress.push(p),
      });
      assert.equal(result.images.length, 4);
      assert.deepEqual(result.unnamedImages, []);
      assert.equal(result.manifests.pushed, 5, 'four images, the ui one under two tags');
      assert.ok(
        result.blobs.mounted >= 1,
        `the shared base layer is mounted: ${JSON.stringify(result.blobs)}`,
      );
      assert.ok(result.blobs.uploaded >= 7);
      const last = progress.at(-1);
      assert.ok(last !== undefined && last.bytesDone === last.bytesTotal && last.bytesTotal > 0);
      for (const image of sample.images) {
        for (const reference of image.references) {
          const target = retagged(reference, registry.host);
          const [repository, tag] = target.slice(registry.host.length + 1).split(':') as [string, string];
          const manifest = await client.getManifest(repository, tag);
          const json = JSON.parse(manifest.body.toString('utf8')) as {
            config: { digest: string };
            layers: { digest: string }[];
          };
          assert.equal(json.config.digest, image.configDigest, target);
          assert.deepEqual(
            json.layers.map((l) => l.digest),
            image.layers.map((l) => l.digest),
          );
        }
      }
    } finally {
      client.close();
    }
  });

  it('is readable by skopeo', async () => {
    const skopeo = requireBinary('skopeo');
    const image = sample.images[0];
    assert.ok(image !== undefined);
    const target = retagged(image.references[0] ?? '', registry.host);
    const out = await execa(
      skopeo,
      [
        'inspect',
        '--raw',
        '--tls-verify=false',
        '--creds',
        `${REGISTRY_USER}:${REGISTRY_PASSWORD}`,
        `docker://${target}`,
      ],
      { timeout: 30_000 },
    );
    const raw = JSON.parse(out.stdout) as { config: { digest: string } };
    assert.equal(raw.config.digest, image.configDigest);
  });

  it('pushes nothing on a rerun', async () => {
    const client = clientFor(registry);
    try {
      const result = await pushBundleImages({
        bundle,
        rule: { kind: 'registry', registry: registry.host },
        client,
      });
      assert.equal(result.blobs.uploaded, 0);
      assert.equal(result.blobs.mounted, 0);
      assert.equal(result.bytesUploaded, 0);
      assert.equal(result.manifests.pushed, 0);
      assert.equal(result.manifests.existing, 5);
    } finally {
      client.close();
    }
  });

  it('fails clearly on a wrong password, without the password in the error', async () => {
    const wrong = 'not-the-password-4711';
    const client = clientFor(registry, wrong);
    try {
      const err = await rejectionOf(
        pushBundleImages({ bundle, rule: { kind: 'registry', registry: registry.host }, client }),
      );
      assertAirliftError(err, RegistryAuthFailedError, ErrorCode.RegistryAuthFailed, [registry.host]);
      const text = `${String(err)} ${JSON.stringify(err)} ${(err as Error).stack ?? ''}`;
      assert.ok(!text.includes(wrong), text);
      assert.ok(!text.includes(Buffer.from(`${REGISTRY_USER}:${wrong}`).toString('base64')));
    } finally {
      client.close();
    }
  });
});

describe('pushBundleImages of other archive layouts to a plain-http registry', { timeout: 120_000 }, () => {
  let registry: RegistryInstance;
  let dir: TempDir;

  before(async () => {
    registry = await startRegistry();
    dir = makeTempDir('airlift-push-formats');
  });
  after(async () => {
    await registry.stop();
    await dir.remove();
  });

  for (const format of ['docker-save', 'oci-layout'] as const) {
    it(`pushes a ${format} archive that skopeo can read`, async () => {
      const sample = await writeSampleBundle(join(dir.path), {
        format,
        version: format === 'oci-layout' ? '0.22.0' : '0.23.0',
      });
      const bundle = await Bundle.open(sample.path);
      const client = createRegistryClient({ registry: registry.host, plainHttp: true });
      try {
        const result = await pushBundleImages({
          bundle,
          rule: { kind: 'registry', registry: registry.host },
          client,
        });
        assert.equal(result.images.length, 4);
        const image = sample.images[0];
        assert.ok(image !== undefined);
        const target = retagged(image.references[0] ?? '', registry.host);
        const out = await execa(
          requireBinary('skopeo'),
          ['inspect', '--raw', '--tls-verify=false', `docker://${target}`],
          { timeout: 30_000 },
        );
        const raw = JSON.parse(out.stdout) as { config: { digest: string }; layers: { mediaType: string }[] };
        assert.equal(raw.config.digest, image.configDigest);
        if (format === 'docker-save') {
          assert.ok(raw.layers.every((l) => l.mediaType === 'application/vnd.docker.image.rootfs.diff.tar'));
        }
        const again = await pushBundleImages({
          bundle,
          rule: { kind: 'registry', registry: registry.host },
          client,
        });
        assert.equal(again.blobs.uploaded, 0);
        assert.equal(again.manifests.pushed, 0);
      } finally {
        client.close();
        await bundle.close();
      }
    });
  }
  it('pushes a multi-platform index when the archive holds every platform', async () => {
    const [image] = await sampleImages('0.24.0', 4096);
    assert.ok(image !== undefined);
    const otherArch = HOST_ARCH === 's390x' ? 'arm64' : 's390x';
    const other = withArchitecture(image, otherArch);
    const platform = (architecture: string) => ({ platform: { os: 'linux', architecture } });
    const index = indexBlob([
      descriptorOf(manifestBlob(image), OCI_MANIFEST, platform(HOST_ARCH)),
      descriptorOf(manifestBlob(other), OCI_MANIFEST, platform(otherArch)),
    ]);
    const reference = image.references[0] ?? '';
    const imagesTar = await ociLayoutTar(
      [descriptorOf(index, OCI_INDEX, { annotations: { 'io.containerd.image.name': reference } })],
      [...imageBlobs(image).blobs, ...imageBlobs(other).blobs, index],
    );
    const sample = await writeSampleBundle(dir.path, {
      version: '0.24.0',
      mutate: (spec) => ({ ...spec, imagesTar }),
    });
    const bundle = await Bundle.open(sample.path);
    const client = createRegistryClient({ registry: registry.host, plainHttp: true });
    try {
      const rule = { kind: 'registry', registry: registry.host } as const;
      const result = await pushBundleImages({ bundle, rule, client });
      assert.deepEqual(
        result.images.map((i) => i.manifestDigest),
        [index.digest],
      );
      const [repository, tag] = retagged(reference, registry.host)
        .slice(registry.host.length + 1)
        .split(':') as [string, string];
      const manifest = await client.getManifest(repository, tag);
      assert.equal(manifest.mediaType, OCI_INDEX);
      assert.equal(manifest.digest, index.digest);
      assert.equal(
        await client.manifestDigest(repository, manifestBlob(other).digest),
        manifestBlob(other).digest,
      );
      const again = await pushBundleImages({ bundle, rule, client });
      assert.equal(again.blobs.uploaded + again.manifests.pushed, 0);
    } finally {
      client.close();
      await bundle.close();
    }
  });
});
