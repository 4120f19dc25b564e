import { sha256, tarBuffer, type FixtureImage, type TarMember } from './fixtures/index.js';

// Hand-assembled OCI image layouts for shapes the fixture writer does not produce: nested
// multi-platform indexes, bare-tag names, index entries without the oci-layout file.

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/** A content-addressed blob. */
export interface OciBlob {
  readonly digest: string;
  readonly data: Buffer;
}

/** An OCI descriptor as index.json and nested indexes write it. */
export interface OciDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: { readonly os: string; readonly architecture: string };
}

/** A blob holding `value` as JSON. */
export function jsonBlob(value: unknown): OciBlob {
  const data = Buffer.from(JSON.stringify(value));
  return { digest: sha256(data), data };
}

/** The image manifest of a fixture image. */
export function manifestBlob(image: FixtureImage): OciBlob {
  return jsonBlob({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: image.configDigest,
      size: image.config.length,
    },
    layers: image.layers.map((layer) => ({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: layer.digest,
      size: layer.gzip.length,
    })),
  });
}

/** An index blob listing `manifests`. */
export function indexBlob(manifests: readonly OciDescriptor[], mediaType = OCI_INDEX): OciBlob {
  return jsonBlob({ schemaVersion: 2, mediaType, manifests });
}

/** A descriptor of `blob`, with optional annotations and platform. */
export function descriptorOf(
  blob: OciBlob,
  mediaType: string,
  extra: Pick<OciDescriptor, 'annotations' | 'platform'> = {},
): OciDescriptor {
  return { mediaType, digest: blob.digest, size: blob.data.length, ...extra };
}

/** Config, layers and manifest blobs of an image, plus its manifest. */
export function imageBlobs(image: FixtureImage): { manifest: OciBlob; blobs: OciBlob[] } {
  const manifest = manifestBlob(image);
  return {
    manifest,
    blobs: [
      { digest: image.configDigest, data: image.config },
      ...image.layers.map((layer) => ({ digest: layer.digest, data: layer.gzip })),
      manifest,
    ],
  };
}

/** The same image with its config's architecture changed (a new config digest). */
export function withArchitecture(image: FixtureImage, architecture: string): FixtureImage {
  const config = Buffer.from(
    JSON.stringify({ ...(JSON.parse(image.config.toString('utf8')) as object), architecture }),
  );
  return { ...image, config, configDigest: sha256(config) };
}

/** An OCI layout tar: oci-layout (unless left out), blobs (deduplicated), index.json last. */
export async function ociLayoutTar(
  index: readonly OciDescriptor[],
  blobs: readonly OciBlob[],
  options: { readonly ociLayoutFile?: boolean } = {},
): Promise<Buffer> {
  const unique = new Map(blobs.map((blob) => [blob.digest, blob.data]));
  const members: TarMember[] = [
    ...(options.ociLayoutFile === false
      ? []
      : [{ name: 'oci-layout', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) }]),
    ...[...unique].map(([digest, data]) => ({
      name: `blobs/sha256/${digest.slice('sha256:'.length)}`,
      data,
    })),
    { name: 'index.json', data: Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: index })) },
  ];
  return tarBuffer(members);
}
