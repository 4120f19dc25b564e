import { z } from 'zod';
import { ArchiveMalformedError } from '../errors/index.js';
import { memberSpan } from '../tar/index.js';
import { firstIssue } from '../validation/index.js';
import type { ArchiveEntries } from './archive-entries.js';
import type { ArchiveBlob, ArchiveImage } from './archive-image.js';
import { readImageConfig } from './image-config.js';
import { normaliseArchiveReferences } from './image-references.js';

const manifestSchema = z.array(
  z.object({
    Config: z.string().min(1),
    RepoTags: z.array(z.string()).nullable().optional(),
    Layers: z.array(z.string().min(1)),
  }),
);

const DIGEST_NAME = /^(?:blobs\/)?(sha256)[:/]([a-f0-9]{64})(?:\.json|\.tar\.gz|\.tar)?$/;
const HEX_NAME = /^([a-f0-9]{64})(?:\.json|\.tar\.gz|\.tar)$/;

/** Reads manifest.json archives: go-containerregistry tarballs and `docker save` output. */
export async function readDockerArchive(entries: ArchiveEntries): Promise<ArchiveImage[]> {
  const label = entries.source.label;
  const json = await entries.readJson('manifest.json', 'the archive');
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = firstIssue(parsed.error);
    throw new ArchiveMalformedError(label, 'manifest.json', `field ${issue.path}: ${issue.message}`);
  }
  if (parsed.data.length === 0) throw new ArchiveMalformedError(label, 'manifest.json', 'lists no images');
  const images: ArchiveImage[] = [];
  for (const [index, item] of parsed.data.entries()) {
    const where = `manifest.json [${index}]`;
    const configEntry = entries.require(item.Config, `${where} Config`);
    const config = await readImageConfig(
      entries,
      item.Config,
      digestFromName(item.Config),
      item.Layers.length,
      where,
    );
    const layers: ArchiveBlob[] = item.Layers.map((name, n) => {
      const entry = entries.require(name, `${where} Layers`);
      // docker save stores layers uncompressed, so the stored bytes hash to the config's diff_id.
      const digest = digestFromName(name) ?? (name.endsWith('/layer.tar') ? config.diffIds[n] : undefined);
      return {
        entry: name,
        size: entry.size,
        span: memberSpan(entry),
        ...(digest === undefined ? {} : { digest }),
      };
    });
    const raw = item.RepoTags ?? [];
    images.push({
      references: normaliseArchiveReferences(raw, label, where),
      rawReferences: raw,
      configDigest: config.digest,
      config: {
        entry: item.Config,
        size: configEntry.size,
        digest: config.digest,
        span: memberSpan(configEntry),
      },
      layers,
      size: configEntry.size + layers.reduce((sum, layer) => sum + layer.size, 0),
      ...(config.os === undefined ? {} : { os: config.os }),
      ...(config.architecture === undefined ? {} : { architecture: config.architecture }),
    });
  }
  return images;
}

// go-containerregistry names blobs by digest (`sha256:<hex>`, `<hex>.tar.gz`); classic docker save uses
// `<id>.json` for configs (the id is the config digest) and `<id>/layer.tar` for layers (no digest).
function digestFromName(name: string): string | undefined {
  const m = DIGEST_NAME.exec(name);
  if (m?.[2] !== undefined) return `sha256:${m[2]}`;
  const h = HEX_NAME.exec(name);
  return h?.[1] === undefined ? undefined : `sha256:${h[1]}`;
}
