import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { addBuffer, addFile } from './deterministic-tar.js';

/** The blobs of one single-layer image and the name it carries. */
export interface ArchiveContents {
  readonly reference: string;
  readonly config: { readonly digest: string; readonly bytes: Buffer };
  readonly layer: { readonly digest: string; readonly file: string };
}

/**
 * Writes a docker-archive in go-containerregistry's layout, as charts-syncer bundles carry it: the
 * config as `sha256:<hex>`, the gzip'd layer as `<hex>.tar.gz`, `manifest.json` last. `docker load`,
 * `ctr images import` and airlift's own importers (ctr and containerd-API) all read it.
 */
export async function writeImageArchive(contents: ArchiveContents, outFile: string): Promise<void> {
  const tar = pack();
  const done = pipeline(tar, createWriteStream(outFile));
  try {
    const configName = contents.config.digest; // `sha256:<hex>`
    const layerName = `${contents.layer.digest.replace(/^sha256:/, '')}.tar.gz`;
    await addBuffer(tar, configName, contents.config.bytes);
    await addFile(tar, layerName, contents.layer.file);
    const manifest = [{ Config: configName, RepoTags: [contents.reference], Layers: [layerName] }];
    await addBuffer(tar, 'manifest.json', Buffer.from(JSON.stringify(manifest)));
    tar.finalize();
  } catch (err) {
    tar.destroy(err as Error);
  }
  await done;
}
