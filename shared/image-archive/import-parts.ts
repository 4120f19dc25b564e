import { Readable } from 'node:stream';
import type { ByteSpan } from '../tar/index.js';
import type { ArchiveImage, ImageArchive } from './archive-image.js';
import { dockerManifestFor, manifestEnding, type ImportName } from './loadable-stream.js';

/** One staged import: the members some images need, in archive order, and a manifest.json naming them. */
export interface ImportPart {
  /** Byte spans of images.tar, ascending and disjoint (adjacent members joined); as the job carries them. */
  readonly spans: ByteSpan[];
  readonly dockerManifest: string;
}

/** Options of planImportParts. */
export interface ImportPartOptions {
  /** At most this many imports per node (each is a runtime process and a re-read of shared layers); default 8. */
  readonly maxParts?: number;
  /**
   * Images whose last members end closer than this many bytes apart share one import; default 1/64 of
   * the archive. A part of its own would start barely earlier and still cost a process.
   */
  readonly minGapBytes?: number;
}

export const DEFAULT_MAX_IMPORT_PARTS = 8;

/**
 * Splits the import of a manifest.json archive into parts that each start as soon as their members
 * are held, so a node unpacks the first images while the rest still arrive and only the last part is
 * left after the last byte. Images go in the order their last member ends; neighbours whose ends are
 * close are joined, then the closest pairs until at most maxParts remain. Undefined when one import is
 * all there would be, and for OCI layouts: containerd must import those by their own index.json, or it
 * would write new manifests and digest references to the originals would stop resolving.
 */
export function planImportParts(
  archive: ImageArchive,
  names: readonly ImportName[] = [],
  options: ImportPartOptions = {},
): ImportPart[] | undefined {
  if (archive.format === 'oci-layout' || archive.images.length < 2) return undefined;
  const maxParts = Math.max(1, options.maxParts ?? DEFAULT_MAX_IMPORT_PARTS);
  const minGap = options.minGapBytes ?? archive.entriesEnd / 64;
  const groups = [...archive.images]
    .map((image) => ({ images: [image], ready: readyAt(image) }))
    .sort((a, b) => a.ready - b.ready);
  for (let i = groups.length - 2; i >= 0; i--) {
    if (gap(groups, i) < minGap) joinNext(groups, i);
  }
  while (groups.length > maxParts) {
    let closest = 0;
    for (let i = 1; i < groups.length - 1; i++) {
      if (gap(groups, i) < gap(groups, closest)) closest = i;
    }
    joinNext(groups, closest);
  }
  if (groups.length < 2) return undefined;
  return groups.map((group) => ({
    spans: spansOf(group.images),
    dockerManifest: dockerManifestFor({ ...archive, images: group.images }, names).toString('utf8'),
  }));
}

/** A part as one tar stream: its spans, read through `openSpan`, then its manifest.json and the trailer. */
export function importPartStream(part: ImportPart, openSpan: (span: ByteSpan) => Readable): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    for (const span of part.spans) {
      for await (const chunk of openSpan(span)) yield chunk as Buffer;
    }
    yield manifestEnding(part.dockerManifest);
  }
  return Readable.from(bytes(), { objectMode: false });
}

interface Group {
  images: ArchiveImage[];
  ready: number;
}

// Where the image's last member ends: no import of it can finish before that byte is held.
function readyAt(image: ArchiveImage): number {
  return Math.max(...[image.config, ...image.layers].map((blob) => blob.span.offset + blob.span.length));
}

function gap(groups: readonly Group[], i: number): number {
  const [earlier, later] = [groups[i], groups[i + 1]];
  return earlier === undefined || later === undefined ? Infinity : later.ready - earlier.ready;
}

// The earlier group waits for the later one's bytes and imports with it.
function joinNext(groups: Group[], i: number): void {
  const [earlier, later] = [groups[i], groups[i + 1]];
  if (earlier === undefined || later === undefined) return;
  groups.splice(i, 2, { images: [...earlier.images, ...later.images], ready: later.ready });
}

function spansOf(images: readonly ArchiveImage[]): ByteSpan[] {
  const byOffset = new Map<number, ByteSpan>();
  for (const image of images) {
    for (const blob of [image.config, ...image.layers]) byOffset.set(blob.span.offset, blob.span);
  }
  const joined: ByteSpan[] = [];
  for (const span of [...byOffset.values()].sort((a, b) => a.offset - b.offset)) {
    const last = joined.at(-1);
    if (last !== undefined && last.offset + last.length === span.offset) {
      joined[joined.length - 1] = { offset: last.offset, length: last.length + span.length };
    } else {
      joined.push(span);
    }
  }
  return joined;
}
