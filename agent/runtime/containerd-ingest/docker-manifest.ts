import { createHash } from 'node:crypto';
import type { ApiDescriptor } from '../containerd-api.js';
import { manifestChildLabels } from './gc-labels.js';

export const DOCKER_MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_CONFIG_TYPE = 'application/vnd.docker.container.image.v1+json';
export const DOCKER_LAYER_GZIP_TYPE = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
export const DOCKER_LAYER_TYPE = 'application/vnd.docker.image.rootfs.diff.tar';

/** A manifest blob to write, with the descriptor that names it and the GC labels it carries. */
export interface BuiltManifest {
  readonly bytes: Buffer;
  readonly descriptor: ApiDescriptor;
  readonly labels: Record<string, string>;
}

/** The media type containerd's import gives a docker-archive layer: gzip by its magic bytes, else plain tar. */
export function layerMediaType(firstBytes: Buffer): string {
  return firstBytes[0] === 0x1f && firstBytes[1] === 0x8b ? DOCKER_LAYER_GZIP_TYPE : DOCKER_LAYER_TYPE;
}

/**
 * The manifest containerd's import writes for one `manifest.json` entry of a docker archive
 * (images/archive/importer.go): Docker schema 2, the config as a docker config, the layers in order.
 * The JSON is byte for byte what Go's json.Marshal gives that struct (same key order, no spaces), so an
 * image imported this way has the same manifest digest as one `ctr images import` made.
 */
export function buildDockerManifest(config: ApiDescriptor, layers: readonly ApiDescriptor[]): BuiltManifest {
  const plain = (d: ApiDescriptor) => ({ mediaType: d.mediaType, digest: d.digest, size: d.size });
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST_TYPE,
      config: plain({ ...config, mediaType: DOCKER_CONFIG_TYPE }),
      layers: layers.map(plain),
    }),
  );
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  return {
    bytes,
    descriptor: { mediaType: DOCKER_MANIFEST_TYPE, digest, size: bytes.length },
    labels: manifestChildLabels(
      config.digest,
      layers.map((layer) => layer.digest),
    ),
  };
}
