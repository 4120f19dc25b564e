import { ArchiveMalformedError } from '../errors/index.js';
import { indexTar, memberSpan, type ByteSource, type TarEntry } from '../tar/index.js';
import { ArchiveEntries } from './archive-entries.js';
import type { ImageArchive, ImageArchiveFormat } from './archive-image.js';
import { readDockerArchive } from './docker-archive.js';
import { readOciArchive } from './oci-archive.js';
import { hostPlatform, type Platform } from './host-platform.js';

/** Options for reading images.tar. */
export interface ReadImageArchiveOptions {
  /** Platform chosen from multi-platform OCI indexes; defaults to this machine's. */
  readonly platform?: Platform;
  /** Hash every layer against its digest (reads every byte; off by default). */
  readonly verifyLayerDigests?: boolean;
}

/** Indexes and reads an image archive in any of the three supported layouts, without extracting it. */
export async function readImageArchive(
  source: ByteSource,
  options: ReadImageArchiveOptions = {},
): Promise<ImageArchive> {
  const members = await indexTar(source);
  const entries = ArchiveEntries.from(source, members);
  const warnings: string[] = [];
  let format: ImageArchiveFormat;
  let images;
  if (entries.has('manifest.json')) {
    format =
      entries.has('repositories') || entries.order.some((n) => n.endsWith('/layer.tar'))
        ? 'docker-save'
        : 'go-containerregistry';
    images = await readDockerArchive(entries);
  } else if (entries.has('index.json')) {
    format = 'oci-layout';
    if (!entries.has('oci-layout')) warnings.push(`${source.label}: index.json without an oci-layout file`);
    images = await readOciArchive(entries, warnings, options.platform ?? hostPlatform());
  } else if (entries.has('repositories')) {
    throw new ArchiveMalformedError(
      source.label,
      'repositories',
      'is a legacy docker save archive without manifest.json (Docker < 1.10), which no runtime imports any more: save it again with a current docker',
    );
  } else {
    throw new ArchiveMalformedError(
      source.label,
      undefined,
      'has neither manifest.json (docker save / go-containerregistry) nor index.json (OCI layout): not an image archive',
    );
  }
  if (options.verifyLayerDigests === true) await verifyLayerDigests(entries, images);
  const blobSizes = new Map<string, number>();
  for (const image of images) {
    for (const blob of [image.config, ...image.layers]) blobSizes.set(blob.entry, blob.size);
  }
  return {
    format,
    images,
    uniqueBlobBytes: [...blobSizes.values()].reduce((a, b) => a + b, 0),
    entriesEnd: endOfMembers(members),
    warnings,
  };
}

async function verifyLayerDigests(entries: ArchiveEntries, images: ImageArchive['images']): Promise<void> {
  const checked = new Set<string>();
  for (const image of images) {
    for (const layer of image.layers) {
      if (layer.digest === undefined || checked.has(layer.entry)) continue;
      checked.add(layer.entry);
      const actual = await entries.digestOf(layer.entry);
      if (actual !== layer.digest) {
        throw new ArchiveMalformedError(
          entries.source.label,
          layer.entry,
          `layer hashes to ${actual}, not ${layer.digest}: the archive is corrupted`,
        );
      }
    }
  }
}

function endOfMembers(members: readonly TarEntry[]): number {
  const last = members.at(-1);
  if (last === undefined) return 0;
  const span = memberSpan(last);
  return span.offset + span.length;
}
