import type { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { RuntimeLoadError } from '../../../shared/errors/index.js';
import { formatReference, parseReference } from '../../../shared/reference/index.js';
import type { ApiDescriptor } from '../containerd-api.js';
import { buildDockerManifest, DOCKER_CONFIG_TYPE, layerMediaType } from './docker-manifest.js';
import { openIngest, type ImageIngest } from './image-ingest.js';
import type { ContainerdWriter } from './write-api.js';

/** One entry of a docker archive's manifest.json. */
interface ManifestEntry {
  readonly Config: string;
  readonly RepoTags?: readonly string[] | null;
  readonly Layers: readonly string[];
}

// Members named by their digest, as go-containerregistry writes them (`sha256:<hex>`, `<hex>.tar.gz`)
// and as docker save names configs (`<hex>.json`).
const CONTENT_ADDRESSED = /^(?:sha256:)?([0-9a-f]{64})(?:\.tar\.gz|\.tar|\.json)?$/;

/**
 * Imports a docker-archive stream (manifest.json; the last one in the stream wins, as with ctr) through
 * containerd's API: each member streams into the content store as it arrives (skipped when held), then
 * every image gets ctr's manifest, is unpacked and named by its RepoTags. Returns the names created.
 * Archives this does not cover (OCI layouts, classic `<id>/layer.tar` members) fail as RUNTIME_LOAD_FAILED
 * before any image record is written; the runtime sends those to ctr by their first member.
 */
export async function importDockerArchive(
  api: ContainerdWriter,
  archive: Readable,
  options: { readonly snapshotter: string },
): Promise<string[]> {
  const ingest = await openIngest(api, { snapshotter: options.snapshotter });
  try {
    const { blobs, manifest } = await ingestMembers(ingest, archive);
    if (manifest === undefined) throw unsupported('the archive has no manifest.json');
    const loaded: string[] = [];
    for (const entry of manifest) loaded.push(...(await importImage(ingest, entry, blobs)));
    return loaded;
  } finally {
    await ingest.close();
  }
}

async function ingestMembers(
  ingest: ImageIngest,
  archive: Readable,
): Promise<{ blobs: Map<string, ApiDescriptor>; manifest: ManifestEntry[] | undefined }> {
  const blobs = new Map<string, ApiDescriptor>();
  let manifest: ManifestEntry[] | undefined;
  const ex = extract();
  archive.on('error', (err) => {
    ex.destroy(err);
  });
  archive.pipe(ex);
  for await (const entry of ex) {
    const name = entry.header.name.replace(/^\.\//, '');
    if (entry.header.type !== 'file' || name === 'repositories') {
      entry.resume();
      continue;
    }
    if (name === 'manifest.json') {
      manifest = JSON.parse((await collect(entry)).toString('utf8')) as ManifestEntry[];
      continue;
    }
    if (name === 'oci-layout' || name === 'index.json') throw unsupported('OCI layouts import through ctr');
    const hex = CONTENT_ADDRESSED.exec(name)?.[1];
    if (hex === undefined) throw unsupported(`member ${name} is not named by its digest`);
    blobs.set(name, await ingestMember(ingest, `sha256:${hex}`, entry.header.size, entry));
  }
  return { blobs, manifest };
}

async function ingestMember(
  ingest: ImageIngest,
  digest: string,
  size: number,
  member: AsyncIterable<unknown>,
): Promise<ApiDescriptor> {
  let sink: Awaited<ReturnType<ImageIngest['blob']>> | undefined;
  let descriptor: ApiDescriptor = { mediaType: DOCKER_CONFIG_TYPE, digest, size };
  for await (const chunk of member) {
    // The first bytes tell a gzip layer from a plain one, as containerd's import detects it.
    if (sink === undefined) {
      descriptor = { ...descriptor, mediaType: layerMediaType(chunk as Buffer) };
      sink = await ingest.blob(descriptor);
    }
    await sink.write(chunk as Buffer);
  }
  sink ??= await ingest.blob(descriptor);
  await sink.commit();
  return descriptor;
}

async function importImage(
  ingest: ImageIngest,
  entry: ManifestEntry,
  blobs: ReadonlyMap<string, ApiDescriptor>,
): Promise<string[]> {
  const find = (name: string): ApiDescriptor => {
    const found = blobs.get(name);
    if (found === undefined)
      throw new RuntimeLoadError('containerd', `manifest.json names ${name}, not in the archive`);
    return found;
  };
  const config = { ...find(entry.Config), mediaType: DOCKER_CONFIG_TYPE };
  const layers = entry.Layers.map(find);
  const manifest = buildDockerManifest(config, layers);
  await ingest.writeBlob(manifest.descriptor, manifest.bytes, manifest.labels);
  await ingest.unpack({ config, layers });
  const names = (entry.RepoTags ?? []).map((tag) => formatReference(parseReference(tag)));
  for (const name of names) await ingest.createImage(name, manifest.descriptor);
  return names;
}

function unsupported(detail: string): RuntimeLoadError {
  return new RuntimeLoadError('containerd', `importing through the API: ${detail}`);
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
