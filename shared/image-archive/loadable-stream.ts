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
  archive: ImageArchive | LoadableArchive,
  runtime: 'docker' | 'containerd',
): Readable {
  if (runtime === 'containerd' || archive.format !== 'oci-layout') return raw;
  if (!('images' in archive) && archive.dockerManifest === undefined) {
    // Appending an empty manifest would make Docker load nothing and report success.
    throw new RangeError(
      'an OCI layout needs its docker manifest (describeLoadable) to be loaded into Docker',
    );
  }
  const manifest =
    'images' in archive ? dockerManifestFor(archive) : Buffer.from(archive.dockerManifest ?? '');
  const suffix = Buffer.concat([tarFileMember('manifest.json', manifest), TAR_TRAILER]);
  return appendAfter(raw, archive.entriesEnd, suffix);
}

/** What a node needs to know about an archive to make it loadable, without reading the archive itself. */
export interface LoadableArchive {
  readonly format: ImageArchive['format'];
  readonly entriesEnd: number;
  /** For OCI layouts: the docker manifest.json to append for Docker engines (dockerManifestFor). */
  readonly dockerManifest?: string | undefined;
}

/** The loadable facts of an archive, as sent to agents in a job. */
export function describeLoadable(archive: ImageArchive): LoadableArchive {
  return {
    format: archive.format,
    entriesEnd: archive.entriesEnd,
    ...(archive.format === 'oci-layout'
      ? { dockerManifest: dockerManifestFor(archive).toString('utf8') }
      : {}),
  };
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
