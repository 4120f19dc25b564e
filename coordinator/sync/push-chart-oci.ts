import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { BufferByteSource, indexTar } from '../../shared/tar/index.js';
import type { BlobBody, RegistryClient } from '../registry/index.js';

/** Helm's media types for a chart stored in an OCI registry. */
export const HELM_CONFIG_MEDIA_TYPE = 'application/vnd.cncf.helm.config.v1+json';
export const HELM_CHART_MEDIA_TYPE = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Inputs of pushChartOci. */
export interface PushChartOciOptions {
  readonly client: RegistryClient;
  /** The full repository, e.g. `charts/kairship` for `oci://REGISTRY/charts` (helm appends the name). */
  readonly repository: string;
  /** The packaged chart, `<name>-<version>.tgz`. */
  readonly chartTgz: string;
  readonly name: string;
  readonly version: string;
  readonly signal?: AbortSignal;
}

/** Where the chart now is. */
export interface PushedChart {
  /** `registry/repository:tag`, what `helm pull oci://…` takes without the scheme. */
  readonly reference: string;
  readonly digest: string;
  /** False when the registry already held this exact manifest under the tag. */
  readonly pushed: boolean;
}

/** Publishes a packaged chart the way `helm push` does: Chart.yaml as the config, the .tgz as the layer. */
export async function pushChartOci(options: PushChartOciOptions): Promise<PushedChart> {
  const { client, repository, chartTgz, signal } = options;
  const tgz = await readFile(chartTgz);
  const config = Buffer.from(JSON.stringify(await chartMetadata(tgz, chartTgz)));
  const configDigest = sha256(config);
  const layerDigest = sha256(tgz);
  const sig = signal === undefined ? {} : { signal };
  if (!(await client.hasBlob(repository, configDigest, signal))) {
    await client.uploadBlob(repository, configDigest, bodyOf(config), sig);
  }
  if (!(await client.hasBlob(repository, layerDigest, signal))) {
    await client.uploadBlob(
      repository,
      layerDigest,
      { size: tgz.length, open: () => createReadStream(chartTgz) },
      sig,
    );
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: HELM_CONFIG_MEDIA_TYPE, digest: configDigest, size: config.length },
      layers: [{ mediaType: HELM_CHART_MEDIA_TYPE, digest: layerDigest, size: tgz.length }],
      annotations: {
        'org.opencontainers.image.title': options.name,
        'org.opencontainers.image.version': options.version,
      },
    }),
  );
  const digest = sha256(manifest);
  // OCI tags cannot hold `+`; helm writes SemVer build metadata with `_` instead.
  const tag = options.version.replaceAll('+', '_');
  const reference = `${client.registry}/${repository}:${tag}`;
  if ((await client.manifestDigest(repository, tag, signal)) === digest) {
    return { reference, digest, pushed: false };
  }
  await client.putManifest(repository, tag, OCI_MANIFEST, manifest, signal);
  return { reference, digest, pushed: true };
}

/** Chart.yaml of the packaged chart as an object (helm stores its metadata as JSON in the config blob). */
async function chartMetadata(tgz: Buffer, label: string): Promise<unknown> {
  const tar = new BufferByteSource(gunzipSync(tgz), label);
  const entry = (await indexTar(tar)).find((e) => e.type === 'file' && /^[^/]+\/Chart\.yaml$/.test(e.name));
  if (entry === undefined) throw new Error(`${label}: no <chart>/Chart.yaml in the package`);
  return parse((await tar.read(entry.dataOffset, entry.size)).toString('utf8')) as unknown;
}

function bodyOf(bytes: Buffer): BlobBody {
  return { size: bytes.length, open: () => Readable.from([bytes]) };
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
