import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import type { ApiDescriptor } from '../../../../agent/runtime/containerd-api.js';
import {
  buildDockerManifest,
  DOCKER_CONFIG_TYPE,
  DOCKER_LAYER_GZIP_TYPE,
  openIngest,
  type BuiltManifest,
  type ContainerdWriter,
  type UnpackResult,
} from '../../../../agent/runtime/containerd-ingest/index.js';
import type { FixtureImage } from '../../../helpers/fixtures/index.js';

/** One image of the archive as the job knows it before any byte arrives (from its manifest.json). */
export interface PlannedImage {
  readonly config: ApiDescriptor;
  readonly layers: readonly ApiDescriptor[];
  readonly manifest: BuiltManifest;
  readonly targets: readonly string[];
}

/** The plan of a go-containerregistry archive of `images`, each image retagged to its targets. */
export function planImages(
  images: readonly FixtureImage[],
  targets: readonly (readonly string[])[],
): PlannedImage[] {
  return images.map((image, i) => {
    const config = { mediaType: DOCKER_CONFIG_TYPE, digest: image.configDigest, size: image.config.length };
    const layers = image.layers.map((l) => ({
      mediaType: DOCKER_LAYER_GZIP_TYPE,
      digest: l.digest,
      size: l.gzip.length,
    }));
    return { config, layers, manifest: buildDockerManifest(config, layers), targets: targets[i] ?? [] };
  });
}

/** What a driven import did. */
export interface DrivenImport {
  readonly unpacked: readonly UnpackResult[];
  /** Blobs whose sink skipped the bytes (already in the store). */
  readonly skipped: readonly string[];
}

/**
 * Drives an import the way the agent's job would: unpacks start at once and wait for their blobs; the
 * archive's members stream into the content store in archive order, `chunk` bytes at a time; then the
 * manifests are written, the images named and the lease ended (`collect`: with a GC run).
 */
export async function ingestArchive(
  api: ContainerdWriter,
  archive: Buffer,
  plan: readonly PlannedImage[],
  options: { chunk: number; collect?: boolean },
): Promise<DrivenImport> {
  const ingest = await openIngest(api, { snapshotter: 'overlayfs' });
  const skipped: string[] = [];
  try {
    const unpacks = Promise.all(plan.map((image) => ingest.unpack(image)));
    unpacks.catch(() => undefined);
    const descriptors = new Map<string, ApiDescriptor>();
    for (const image of plan) for (const d of [image.config, ...image.layers]) descriptors.set(d.digest, d);
    for await (const { name, data } of members(archive)) {
      const digest = name.startsWith('sha256:') ? name : `sha256:${name.replace(/\.tar\.gz$/, '')}`;
      const descriptor = descriptors.get(digest);
      if (descriptor === undefined) continue; // manifest.json: the plan already holds it
      const sink = await ingest.blob(descriptor);
      if (sink.skipped) skipped.push(digest);
      for (let at = 0; at < data.length; at += options.chunk)
        await sink.write(data.subarray(at, at + options.chunk));
      await sink.commit();
    }
    for (const { manifest } of plan)
      await ingest.writeBlob(manifest.descriptor, manifest.bytes, manifest.labels);
    const unpacked = await unpacks;
    for (const image of plan)
      for (const name of image.targets) await ingest.createImage(name, image.manifest.descriptor);
    return { unpacked, skipped };
  } finally {
    await ingest.close({ collect: options.collect ?? false });
  }
}

/** The archive's members in order, each as one buffer (fixture archives are small). */
async function* members(archive: Buffer): AsyncGenerator<{ name: string; data: Buffer }> {
  const ex = extract();
  Readable.from([archive]).pipe(ex);
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    yield { name: entry.header.name, data: Buffer.concat(chunks) };
  }
}
