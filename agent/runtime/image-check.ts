import { createHash } from 'node:crypto';
import { hostPlatform, type Platform } from '../../shared/image-archive/index.js';
import { isNotFound, type ApiImage, type ContainerdReader } from './containerd-api.js';
import type { RuntimeImage } from './container-runtime.js';

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

/** Where and how to check. */
export interface ImageCheckContext {
  readonly api: ContainerdReader;
  /** The snapshotter imports unpack into: an image is usable only once its layers are there. */
  readonly snapshotter: string;
  /** Blobs by digest: content is immutable, so a manifest or config is read once per agent. */
  readonly blobs: Map<string, Promise<Buffer>>;
  readonly platform?: Platform;
  readonly signal?: AbortSignal;
}

interface ManifestDoc {
  readonly mediaType?: string;
  readonly config?: { readonly digest?: string };
  readonly layers?: readonly { readonly digest: string }[];
  readonly manifests?: readonly {
    readonly digest: string;
    readonly platform?: { readonly os?: string; readonly architecture?: string };
  }[];
}

/**
 * What `ctr images check` says of each named image, from containerd's API: its config digest (through
 * an index to this platform's manifest), whether every blob it needs is in the content store, and
 * whether its layers are unpacked (the snapshot of its chain id exists). Names containerd does not
 * know are left out.
 */
export async function checkImages(
  names: readonly string[],
  ctx: ImageCheckContext,
): Promise<Map<string, RuntimeImage>> {
  if (names.length === 0) return new Map();
  // Filters are OR'd: only the wanted images, not every image kubelet keeps on the node.
  const images = await ctx.api.listImages(
    names.map((name) => `name==${name}`),
    ctx.signal,
  );
  const found = new Map<string, RuntimeImage>();
  await Promise.all(
    images.map(async (image) => {
      found.set(image.name, await checkImage(image, ctx));
    }),
  );
  return found;
}

async function checkImage(image: ApiImage, ctx: ImageCheckContext): Promise<RuntimeImage> {
  const platform = ctx.platform ?? hostPlatform();
  const required = [image.target.digest];
  let digest = image.target.digest;
  let manifest: ManifestDoc | undefined;
  for (let depth = 0; depth < 3 && manifest === undefined; depth++) {
    const doc = await readJson(digest, ctx);
    if (doc === undefined) break;
    if (doc.config?.digest !== undefined) {
      manifest = doc;
      break;
    }
    const isIndex = doc.manifests !== undefined || INDEX_TYPES.has(doc.mediaType ?? '');
    const next = isIndex
      ? (doc.manifests?.find(
          (m) => m.platform?.os === platform.os && m.platform.architecture === platform.architecture,
        ) ?? doc.manifests?.[0])
      : undefined;
    if (next === undefined) break;
    digest = next.digest;
    required.push(digest);
  }
  const configDigest = manifest?.config?.digest;
  // A name whose manifest is gone or unreadable points at no usable image.
  if (manifest === undefined || configDigest === undefined) {
    return { reference: image.name, configDigest: 'unknown', usable: false };
  }
  required.push(configDigest, ...(manifest.layers ?? []).map((layer) => layer.digest));
  const present = await Promise.all(required.map((d) => ctx.api.contentInfo(d, ctx.signal)));
  const complete = present.every((info) => info !== undefined);
  return { reference: image.name, configDigest, usable: complete && (await isUnpacked(configDigest, ctx)) };
}

// containerd keeps an image's unpacked layers as the snapshot named by the chain id of its diff ids.
async function isUnpacked(configDigest: string, ctx: ImageCheckContext): Promise<boolean> {
  const config = (await readJson(configDigest, ctx)) as { rootfs?: { diff_ids?: string[] } } | undefined;
  const diffIds = config?.rootfs?.diff_ids;
  if (diffIds === undefined) return false;
  if (diffIds.length === 0) return true;
  return ctx.api.hasSnapshot(ctx.snapshotter, chainId(diffIds), ctx.signal);
}

/** The OCI chain id of a layer stack: the first diff id, then sha256("<parent chain id> <diff id>"). */
export function chainId(diffIds: readonly string[]): string {
  let chain = diffIds[0] ?? '';
  for (const diffId of diffIds.slice(1)) {
    chain = `sha256:${createHash('sha256').update(`${chain} ${diffId}`).digest('hex')}`;
  }
  return chain;
}

async function readJson(digest: string, ctx: ImageCheckContext): Promise<ManifestDoc | undefined> {
  let blob = ctx.blobs.get(digest);
  if (blob === undefined) {
    blob = ctx.api.readContent(digest, ctx.signal);
    ctx.blobs.set(digest, blob);
    // A failed read (missing blob, cancelled call) is asked again next time.
    blob.catch(() => ctx.blobs.delete(digest));
  }
  let bytes: Buffer;
  try {
    bytes = await blob;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  try {
    return JSON.parse(bytes.toString('utf8')) as ManifestDoc;
  } catch {
    return undefined;
  }
}
