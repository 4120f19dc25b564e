import type { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { RuntimeLoadError } from '../../../shared/errors/index.js';
import { formatReference, parseReference } from '../../../shared/reference/index.js';
import type { ApiDescriptor } from '../containerd-api.js';
import { buildDockerManifest, DOCKER_CONFIG_TYPE, layerMediaType } from './docker-manifest.js';
import { openIngest, type ImageIngest } from './image-ingest.js';
import type { ContainerdWriter } from './write-api.js';

/** One entry of a docker archive's manifest.json. */
export interface ManifestEntry {
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
  options: {
    readonly snapshotter: string;
    /**
     * The archive's images, known before its bytes (the job carries them): each layer is unpacked as
     * soon as its member is stored, while later members still arrive, instead of after manifest.json,
     * the archive's last member. The archive's own manifest.json is then ignored.
     */
    readonly manifest?: readonly ManifestEntry[];
  },
): Promise<string[]> {
  const ingest = await openIngest(api, { snapshotter: options.snapshotter });
  try {
    if (options.manifest !== undefined) return await importAsArriving(ingest, archive, options.manifest);
    const { blobs, manifest } = await ingestMembers(ingest, archive);
    if (manifest === undefined) throw unsupported('the archive has no manifest.json');
    const loaded: string[] = [];
    const find = (name: string): ApiDescriptor => {
      const found = blobs.get(name);
      if (found === undefined)
        throw new RuntimeLoadError('containerd', `manifest.json names ${name}, not in the archive`);
      return found;
    };
    for (const entry of manifest) loaded.push(...(await importImage(ingest, entry, find)));
    return loaded;
  } finally {
    await ingest.close();
  }
}

/** Starts every image's unpack at once, each layer waiting for its member; then streams the members. */
async function importAsArriving(
  ingest: ImageIngest,
  archive: Readable,
  manifest: readonly ManifestEntry[],
): Promise<string[]> {
  const book = new DescriptorBook();
  const images = manifest.map((entry) => importImage(ingest, entry, (name) => book.get(name)));
  // Rejections are collected below, after the stream: not unhandled meanwhile.
  for (const image of images) image.catch(() => undefined);
  try {
    await ingestMembers(ingest, archive, book);
  } finally {
    book.closeMissing();
  }
  return (await Promise.all(images)).flat();
}

/** Member descriptors by member name, promised before the member arrives. */
class DescriptorBook {
  private readonly entries = new Map<
    string,
    { promise: Promise<ApiDescriptor>; resolve: (d: ApiDescriptor) => void; reject: (e: Error) => void }
  >();

  get(name: string): Promise<ApiDescriptor> {
    return this.entry(name).promise;
  }

  set(name: string, descriptor: ApiDescriptor): void {
    this.entry(name).resolve(descriptor);
  }

  /** Fails every image still waiting for a member the archive did not hold. */
  closeMissing(): void {
    for (const [name, entry] of this.entries) {
      entry.reject(new RuntimeLoadError('containerd', `manifest.json names ${name}, not in the archive`));
    }
  }

  private entry(name: string) {
    let entry = this.entries.get(name);
    if (entry === undefined) {
      let resolve: (d: ApiDescriptor) => void = () => undefined;
      let reject: (e: Error) => void = () => undefined;
      const promise = new Promise<ApiDescriptor>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => undefined);
      entry = { promise, resolve, reject };
      this.entries.set(name, entry);
    }
    return entry;
  }
}

async function ingestMembers(
  ingest: ImageIngest,
  archive: Readable,
  book?: DescriptorBook,
): Promise<{ blobs: Map<string, ApiDescriptor>; manifest: ManifestEntry[] | undefined }> {
  const blobs = new Map<string, ApiDescriptor>();
  let manifest: ManifestEntry[] | undefined;
  const ex = extract();
  // A stream that broke before we got here has already said so: its error is kept, not re-emitted.
  if (archive.errored !== null) throw archive.errored;
  if (archive.destroyed)
    throw new RuntimeLoadError('containerd', 'the archive stream closed before it was read');
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
    blobs.set(
      name,
      await ingestMember(ingest, `sha256:${hex}`, entry.header.size, entry, (d) => book?.set(name, d)),
    );
  }
  return { blobs, manifest };
}

async function ingestMember(
  ingest: ImageIngest,
  digest: string,
  size: number,
  member: AsyncIterable<unknown>,
  onDescribed: (descriptor: ApiDescriptor) => void,
): Promise<ApiDescriptor> {
  let sink: Awaited<ReturnType<ImageIngest['blob']>> | undefined;
  let descriptor: ApiDescriptor = { mediaType: DOCKER_CONFIG_TYPE, digest, size };
  for await (const chunk of member) {
    // The first bytes tell a gzip layer from a plain one, as containerd's import detects it.
    if (sink === undefined) {
      descriptor = { ...descriptor, mediaType: layerMediaType(chunk as Buffer) };
      sink = await ingest.blob(descriptor);
      onDescribed(descriptor);
    }
    await sink.write(chunk as Buffer);
  }
  if (sink === undefined) {
    sink = await ingest.blob(descriptor);
    onDescribed(descriptor);
  }
  await sink.commit();
  return descriptor;
}

/**
 * One image: its layers unpack in order, each once its blob is stored; its manifest is written once
 * every layer's descriptor is known; its names point at that manifest.
 */
async function importImage(
  ingest: ImageIngest,
  entry: ManifestEntry,
  find: (name: string) => ApiDescriptor | Promise<ApiDescriptor>,
): Promise<string[]> {
  const config = { ...(await find(entry.Config)), mediaType: DOCKER_CONFIG_TYPE };
  const layers = entry.Layers.map((name) => Promise.resolve(find(name)));
  const unpacked = ingest.unpack({ config, layers });
  unpacked.catch(() => undefined);
  const manifest = buildDockerManifest(config, await Promise.all(layers));
  await ingest.writeBlob(manifest.descriptor, manifest.bytes, manifest.labels);
  await unpacked;
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
