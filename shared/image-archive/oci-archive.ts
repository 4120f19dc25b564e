import { z } from 'zod';
import { ArchiveMalformedError } from '../errors/index.js';
import { memberSpan } from '../tar/index.js';
import { firstIssue } from '../validation/index.js';
import type { ArchiveEntries } from './archive-entries.js';
import type { ArchiveBlob, ArchiveImage } from './archive-image.js';
import { readImageConfig } from './image-config.js';
import type { Platform } from './host-platform.js';
import { normaliseArchiveReferences } from './image-references.js';

const descriptorSchema = z.object({
  mediaType: z.string().optional(),
  digest: z.string().regex(/^sha256:[a-f0-9]{64}$/, 'expected sha256:<64 hex>'),
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string(), z.string()).optional(),
  platform: z.object({ os: z.string(), architecture: z.string() }).optional(),
});
type Descriptor = z.infer<typeof descriptorSchema>;

const indexSchema = z.object({ manifests: z.array(descriptorSchema) });
const manifestSchema = z.object({ config: descriptorSchema, layers: z.array(descriptorSchema) });

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);
const NAME_ANNOTATIONS = ['io.containerd.image.name', 'org.opencontainers.image.ref.name'] as const;

/** Reads an OCI image-layout archive (`oci-layout`, `index.json`, `blobs/sha256/…`). */
export async function readOciArchive(
  entries: ArchiveEntries,
  warnings: string[],
  platform: Platform,
): Promise<ArchiveImage[]> {
  const label = entries.source.label;
  const index = parse(indexSchema, await entries.readJson('index.json', 'the archive'), label, 'index.json');
  if (index.manifests.length === 0)
    throw new ArchiveMalformedError(label, 'index.json', 'lists no manifests');
  const images: ArchiveImage[] = [];
  for (const [i, top] of index.manifests.entries()) {
    const where = `index.json manifests[${i}]`;
    const manifestDescriptor = await resolveManifest(entries, top, where, platform);
    const raw = imageNames(top);
    const named = raw.filter((name) => name.includes('/') || name.includes(':') || name.includes('@'));
    if (named.length < raw.length) {
      warnings.push(
        `${label}: ${where} is named only by the bare tag ${JSON.stringify(raw.find((n) => !named.includes(n)))}; ` +
          'it cannot be retagged by reference: rebuild the archive with full image names',
      );
    }
    const blobName = blobPath(manifestDescriptor.digest);
    const manifest = parse(manifestSchema, await entries.readJson(blobName, where), label, blobName);
    const layers: ArchiveBlob[] = manifest.layers.map((layer, n) => {
      const entry = entries.require(blobPath(layer.digest), `${blobName} layers[${n}]`);
      return {
        entry: blobPath(layer.digest),
        size: entry.size,
        digest: layer.digest,
        span: memberSpan(entry),
      };
    });
    const configName = blobPath(manifest.config.digest);
    const configEntry = entries.require(configName, `${blobName} config`);
    const config = await readImageConfig(
      entries,
      configName,
      manifest.config.digest,
      layers.length,
      blobName,
    );
    const references = normaliseArchiveReferences(named, label, where);
    // `ctr export` writes one index entry per name of the same manifest: fold them into one image.
    const same = images.findIndex((image) => image.manifestDigest === manifestDescriptor.digest);
    const earlier = same < 0 ? undefined : images[same];
    if (earlier !== undefined) {
      images[same] = {
        ...earlier,
        references: [...new Set([...earlier.references, ...references])],
        rawReferences: [...earlier.rawReferences, ...raw],
      };
      continue;
    }
    images.push({
      references,
      rawReferences: raw,
      configDigest: config.digest,
      config: {
        entry: configName,
        size: configEntry.size,
        digest: config.digest,
        span: memberSpan(configEntry),
      },
      layers,
      size: configEntry.size + layers.reduce((sum, layer) => sum + layer.size, 0),
      manifestDigest: manifestDescriptor.digest,
      ...(config.os === undefined ? {} : { os: config.os }),
      ...(config.architecture === undefined ? {} : { architecture: config.architecture }),
    });
  }
  return images;
}

// A top-level descriptor may be a multi-platform index; pick this node's platform as `ctr import` does.
async function resolveManifest(
  entries: ArchiveEntries,
  descriptor: Descriptor,
  where: string,
  platform: Platform,
): Promise<Descriptor> {
  if (descriptor.mediaType === undefined || !INDEX_TYPES.has(descriptor.mediaType)) return descriptor;
  const name = blobPath(descriptor.digest);
  const nested = parse(indexSchema, await entries.readJson(name, where), entries.source.label, name);
  const match =
    nested.manifests.find(
      (m) => m.platform?.os === platform.os && m.platform.architecture === platform.architecture,
    ) ?? (nested.manifests.length === 1 ? nested.manifests[0] : undefined);
  if (match === undefined) {
    throw new ArchiveMalformedError(
      entries.source.label,
      name,
      `has no manifest for ${platform.os}/${platform.architecture}`,
    );
  }
  return match;
}

function imageNames(descriptor: Descriptor): string[] {
  const names: string[] = [];
  for (const key of NAME_ANNOTATIONS) {
    const value = descriptor.annotations?.[key];
    if (value !== undefined && value !== '' && !names.includes(value)) names.push(value);
  }
  // containerd writes the full name in both annotations; keep one when both say the same image.
  if (names.length === 2 && names[1] !== undefined && names[0]?.endsWith(`:${names[1]}`) === true)
    names.pop();
  return names;
}

function blobPath(digest: string): string {
  return `blobs/${digest.replace(':', '/')}`;
}

function parse<T>(schema: z.ZodType<T>, json: unknown, label: string, entry: string): T {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = firstIssue(parsed.error);
  throw new ArchiveMalformedError(label, entry, `field ${issue.path}: ${issue.message}`);
}
