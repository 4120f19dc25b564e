import { PassThrough, type Readable } from 'node:stream';
import { TAR_TRAILER, tarFileMember } from '../tar/index.js';
import type { ImageArchive } from './archive-image.js';

/**
 * The archive bytes a runtime can import. containerd reads all three layouts; Docker before 25 reads
 * only manifest.json archives, so an OCI layout gets a docker manifest.json appended on the fly:
 * the original members stream through untouched, and only the end-of-archive marker is replaced.
 */
export function loadableArchiveStream(
  raw: Readable,
  archive: ImageArchive,
  runtime: 'docker' | 'containerd',
): Readable {
  if (runtime === 'containerd' || archive.format !== 'oci-layout') return raw;
  const suffix = Buffer.concat([tarFileMember('manifest.json', dockerManifestFor(archive)), TAR_TRAILER]);
  return appendAfter(raw, archive.entriesEnd, suffix);
}

/** A docker-save manifest.json naming the OCI blobs in place. */
export function dockerManifestFor(archive: ImageArchive): Buffer {
  return Buffer.from(
    JSON.stringify(
      archive.images.map((image) => ({
        Config: image.config.entry,
        // Docker keeps tags only; digest-only names are verified by config digest instead.
        RepoTags: image.references.filter((reference) => !reference.includes('@')),
        Layers: image.layers.map((layer) => layer.entry),
      })),
    ),
  );
}

function appendAfter(raw: Readable, keep: number, suffix: Buffer): Readable {
  const out = new PassThrough();
  let seen = 0;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    out.end(suffix);
  };
  raw.on('data', (chunk: Buffer) => {
    if (finished) return;
    const room = keep - seen;
    seen += chunk.length;
    if (room > 0 && !out.write(room >= chunk.length ? chunk : chunk.subarray(0, room))) {
      raw.pause();
      out.once('drain', () => raw.resume());
    }
    if (seen >= keep) {
      finish();
      raw.destroy();
    }
  });
  raw.on('end', () => {
    if (seen < keep) out.destroy(new Error(`image archive ended after ${seen} of ${keep} bytes`));
    else finish();
  });
  raw.on('error', (err) => out.destroy(err));
  out.on('close', () => raw.destroy());
  return out;
}
