import { PassThrough, type Readable } from 'node:stream';
import { TAR_TRAILER, tarFileMember } from '../tar/index.js';
import type { ImageArchive } from './archive-image.js';

/** A name the import itself should give an image: the retag plan's target for that config. */
export interface ImportName {
  readonly target: string;
  readonly configDigest: string;
}

/**
 * The archive bytes a runtime can import. The original members always stream through untouched; when
 * the job carries a docker manifest.json, only the end-of-archive marker is replaced by it. Docker
 * before 25 needs that for an OCI layout (it reads only manifest.json archives), and for manifest.json
 * archives it also names every image by its retag targets, so the import itself tags them: both
 * `ctr images import` and `docker load` take the last manifest.json of the tar. An OCI layout on
 * containerd is imported by its index.json and stays as it is.
 */
export function loadableArchiveStream(
  raw: Readable,
  archive: ImageArchive | LoadableArchive,
  runtime: 'docker' | 'containerd',
): Readable {
  if (runtime === 'containerd' && archive.format === 'oci-layout') return raw;
  // A local archive (`node load`) only needs a manifest to make an OCI layout loadable by Docker.
  const manifest =
    'images' in archive
      ? archive.format === 'oci-layout'
        ? dockerManifestFor(archive).toString('utf8')
        : undefined
      : archive.dockerManifest;
  if (manifest === undefined) {
    if (archive.format !== 'oci-layout') return raw;
    // Appending an empty manifest would make Docker load nothing and report success.
    throw new RangeError(
      'an OCI layout needs its docker manifest (describeLoadable) to be loaded into Docker',
    );
  }
  return appendAfter(raw, archive.entriesEnd, manifestEnding(manifest));
}

/**
 * The bytes that end a loadable stream: a `manifest.json` member and the end-of-archive marker. Both
 * `ctr images import` and `docker load` take the last manifest.json of a tar.
 */
export function manifestEnding(dockerManifest: string): Buffer {
  return Buffer.concat([tarFileMember('manifest.json', Buffer.from(dockerManifest)), TAR_TRAILER]);
}

/** What a node needs to know about an archive to make it loadable, without reading the archive itself. */
export interface LoadableArchive {
  readonly format: ImageArchive['format'];
  readonly entriesEnd: number;
  /** The docker manifest.json to append (dockerManifestFor): for Docker and OCI, or to name targets. */
  readonly dockerManifest?: string | undefined;
}

/**
 * The loadable facts of an archive, as sent to agents in a job. With `names` (the retag plan), the
 * manifest names each image by its targets too, and the nodes skip a tag call per image.
 */
export function describeLoadable(archive: ImageArchive, names?: readonly ImportName[]): LoadableArchive {
  return {
    format: archive.format,
    entriesEnd: archive.entriesEnd,
    ...(archive.format === 'oci-layout' || (names !== undefined && names.length > 0)
      ? { dockerManifest: dockerManifestFor(archive, names).toString('utf8') }
      : {}),
  };
}

/** A docker-save manifest.json naming the archive's blobs in place, by its references and `names`. */
export function dockerManifestFor(archive: ImageArchive, names: readonly ImportName[] = []): Buffer {
  return Buffer.from(
    JSON.stringify(
      archive.images.map((image) => ({
        Config: image.config.entry,
        // Docker keeps tags only; digest-only names are verified by config digest instead.
        RepoTags: [
          ...new Set([
            ...image.references,
            ...names.filter((n) => n.configDigest === image.configDigest).map((n) => n.target),
          ]),
        ].filter((reference) => !reference.includes('@')),
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
