import { createHash } from 'node:crypto';
import type { ArchiveImage, ImageArchiveFormat } from '../../shared/image-archive/index.js';
import type { ByteSource, TarEntry } from '../../shared/tar/index.js';

/** A blob to push, located in images.tar. */
export interface PushBlob {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
  /** Offset of the first data byte in images.tar. */
  readonly dataOffset: number;
}

/** A manifest (or index) to PUT, with its digest. */
export interface PushManifest {
  readonly mediaType: string;
  readonly bytes: Buffer;
  readonly digest: string;
}

/** What one archive image becomes in a registry: its blobs and the manifest naming them. */
export interface ImagePushPlan {
  readonly blobs: readonly PushBlob[];
  /** Platform manifests an index names, pushed by digest before it. */
  readonly children: readonly PushManifest[];
  /** What the tags point at: the image manifest, or the archive's index when every platform is in it. */
  readonly manifest: PushManifest;
}

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
// docker save keeps layers uncompressed; the spec allows pushing them as they are under this type.
const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** The members of images.tar by name (leading `./` removed), for locating blobs and manifests. */
export function entriesByName(entries: readonly TarEntry[]): Map<string, TarEntry> {
  const map = new Map<string, TarEntry>();
  for (const entry of entries) if (entry.type === 'file') map.set(entry.name.replace(/^(\.\/)+/, ''), entry);
  return map;
}

/**
 * Builds the push plan of one image from what the archive holds: an OCI layout's own manifest is pushed
 * byte for byte (its digest stays); docker-style archives get a schema 2 manifest made from their blobs.
 */
export async function planImagePush(
  source: ByteSource,
  members: ReadonlyMap<string, TarEntry>,
  format: ImageArchiveFormat,
  image: ArchiveImage,
): Promise<ImagePushPlan> {
  const locate = (name: string): TarEntry => {
    const entry = members.get(name.replace(/^(\.\/)+/, ''));
    if (entry === undefined) throw new Error(`${source.label}: no member ${name}`);
    return entry;
  };
  if (format === 'oci-layout' && image.manifestDigest !== undefined) {
    return ociPlan(source, locate, image, image.manifestDigest);
  }
  const configEntry = locate(image.config.entry);
  const config: PushBlob = {
    digest: image.configDigest,
    size: configEntry.size,
    mediaType: DOCKER_CONFIG,
    dataOffset: configEntry.dataOffset,
  };
  const layers: PushBlob[] = [];
  for (const layer of image.layers) {
    const entry = locate(layer.entry);
    const head = await source.read(entry.dataOffset, 2);
    const gzip = head[0] === 0x1f && head[1] === 0x8b;
    layers.push({
      digest: layer.digest ?? (await digestOf(source, entry)),
      size: entry.size,
      mediaType: gzip ? DOCKER_LAYER_GZIP : DOCKER_LAYER_TAR,
      dataOffset: entry.dataOffset,
    });
  }
  const descriptor = (blob: PushBlob): object => ({
    mediaType: blob.mediaType,
    size: blob.size,
    digest: blob.digest,
  });
  const manifest = {
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: descriptor(config),
    layers: layers.map(descriptor),
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return {
    blobs: [config, ...layers],
    children: [],
    manifest: { mediaType: DOCKER_MANIFEST, bytes, digest: sha256(bytes) },
  };
}

async function ociPlan(
  source: ByteSource,
  locate: (name: string) => TarEntry,
  image: ArchiveImage,
  manifestDigest: string,
): Promise<ImagePushPlan> {
  const manifestEntry = locate(blobPath(manifestDigest));
  const bytes = await source.read(manifestEntry.dataOffset, manifestEntry.size);
  const json = JSON.parse(bytes.toString('utf8')) as {
    mediaType?: string;
    config?: { mediaType?: string };
    layers?: { mediaType?: string }[];
  };
  const blobs: PushBlob[] = [image.config, ...image.layers].map((blob, n) => {
    const entry = locate(blob.entry);
    const mediaType = (n === 0 ? json.config?.mediaType : json.layers?.[n - 1]?.mediaType) ?? '';
    return {
      digest: blob.digest ?? `sha256:${blob.entry.split('/').at(-1) ?? ''}`,
      size: entry.size,
      mediaType,
      dataOffset: entry.dataOffset,
    };
  });
  const manifest = { mediaType: json.mediaType ?? OCI_MANIFEST, bytes, digest: manifestDigest };
  return (await indexPlan(source, locate, manifestDigest)) ?? { blobs, children: [], manifest };
}

/**
 * When index.json names the image through a multi-platform index whose every platform the archive
 * holds in full, the tags should point at that index: the plan pushes all platforms, then the index.
 */
async function indexPlan(
  source: ByteSource,
  locate: (name: string) => TarEntry,
  manifestDigest: string,
): Promise<ImagePushPlan | undefined> {
  const readJson = async (digest: string): Promise<{ bytes: Buffer; json: OciJson } | undefined> => {
    let entry: TarEntry;
    try {
      entry = locate(blobPath(digest));
    } catch {
      return undefined;
    }
    const bytes = await source.read(entry.dataOffset, entry.size);
    return { bytes, json: JSON.parse(bytes.toString('utf8')) as OciJson };
  };
  const top = (await readJsonMember(source, locate('index.json'))).manifests ?? [];
  for (const descriptor of top) {
    if (descriptor.mediaType === undefined || !INDEX_TYPES.has(descriptor.mediaType)) continue;
    const index = await readJson(descriptor.digest);
    const children = index?.json.manifests ?? [];
    if (index === undefined || !children.some((child) => child.digest === manifestDigest)) continue;
    const blobs = new Map<string, PushBlob>();
    const manifests: PushManifest[] = [];
    for (const child of children) {
      const manifest = await readJson(child.digest);
      if (manifest === undefined) return undefined;
      for (const blob of [manifest.json.config, ...(manifest.json.layers ?? [])]) {
        if (blob === undefined) return undefined;
        let entry: TarEntry;
        try {
          entry = locate(blobPath(blob.digest));
        } catch {
          return undefined;
        }
        blobs.set(blob.digest, {
          digest: blob.digest,
          size: entry.size,
          mediaType: blob.mediaType ?? '',
          dataOffset: entry.dataOffset,
        });
      }
      const mediaType = child.mediaType ?? manifest.json.mediaType ?? OCI_MANIFEST;
      manifests.push({ mediaType, bytes: manifest.bytes, digest: child.digest });
    }
    const mediaType = index.json.mediaType ?? descriptor.mediaType;
    return {
      blobs: [...blobs.values()],
      children: manifests,
      manifest: { mediaType, bytes: index.bytes, digest: descriptor.digest },
    };
  }
  return undefined;
}

interface OciDescriptorJson {
  readonly mediaType?: string;
  readonly digest: string;
}

interface OciJson {
  readonly mediaType?: string;
  readonly manifests?: readonly OciDescriptorJson[];
  readonly config?: OciDescriptorJson;
  readonly layers?: readonly OciDescriptorJson[];
}

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

async function readJsonMember(source: ByteSource, entry: TarEntry): Promise<OciJson> {
  return JSON.parse((await source.read(entry.dataOffset, entry.size)).toString('utf8')) as OciJson;
}

function blobPath(digest: string): string {
  return `blobs/${digest.replace(':', '/')}`;
}

async function digestOf(source: ByteSource, entry: TarEntry): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of source.stream(entry.dataOffset, entry.size)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
