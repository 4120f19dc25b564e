import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack, type Pack } from 'tar-stream';
import { addBuffer, addDirectory, addFile } from './deterministic-tar.js';

/** One member of the image's filesystem. */
export type LayerEntry =
  | { readonly kind: 'file'; readonly path: string; readonly source: string; readonly mode: number }
  | { readonly kind: 'data'; readonly path: string; readonly data: Buffer; readonly mode: number }
  | { readonly kind: 'directory'; readonly path: string; readonly mode: number };

/** A written layer blob and what the image config and manifest say about it. */
export interface LayerBlob {
  /** sha256 of the gzip'd bytes: the blob's name in the archive. */
  readonly digest: string;
  /** sha256 of the uncompressed tar: the config's rootfs.diff_ids entry. */
  readonly diffId: string;
  readonly size: number;
  readonly uncompressedSize: number;
}

const GZIP_LEVEL = 6;

/**
 * Writes a gzip'd layer tar of `entries` to `outFile`: sorted by path, every parent directory
 * present, owner root, mtime 0. Files are streamed, never held whole in memory.
 */
export async function writeLayer(entries: readonly LayerEntry[], outFile: string): Promise<LayerBlob> {
  const sorted = withParentDirectories(entries).sort((a, b) => compare(a.path, b.path));
  const tar = pack();
  const diff = hashing();
  const blob = hashing();
  const done = pipeline(
    tar,
    diff.stream,
    createGzip({ level: GZIP_LEVEL }),
    blob.stream,
    createWriteStream(outFile),
  );
  try {
    for (const entry of sorted) await addEntry(tar, entry);
    tar.finalize();
  } catch (err) {
    tar.destroy(err as Error);
  }
  await done;
  return { digest: blob.digest(), diffId: diff.digest(), size: blob.bytes(), uncompressedSize: diff.bytes() };
}

async function addEntry(tar: Pack, entry: LayerEntry): Promise<void> {
  if (entry.kind === 'directory') await addDirectory(tar, entry.path, entry.mode);
  else if (entry.kind === 'data') await addBuffer(tar, entry.path, entry.data, entry.mode);
  else await addFile(tar, entry.path, entry.source, entry.mode);
}

/** The entries plus a directory entry for every parent not listed (`usr/`, `usr/local/`, …). */
function withParentDirectories(entries: readonly LayerEntry[]): LayerEntry[] {
  const byPath = new Map<string, LayerEntry>();
  for (const entry of entries) byPath.set(normalise(entry.path), { ...entry, path: normalise(entry.path) });
  for (const path of [...byPath.keys()]) {
    const parts = path.split('/');
    for (let n = 1; n < parts.length; n++) {
      const dir = parts.slice(0, n).join('/');
      if (!byPath.has(dir)) byPath.set(dir, { kind: 'directory', path: dir, mode: 0o755 });
    }
  }
  return [...byPath.values()];
}

function normalise(path: string): string {
  return path.replace(/^\/+/, '').replace(/\/+$/, '');
}

// Byte order, not locale order: the same on every machine.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function hashing(): { stream: Transform; digest: () => string; bytes: () => number } {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  return { stream, digest: () => `sha256:${hash.digest('hex')}`, bytes: () => bytes };
}
