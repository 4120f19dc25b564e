export { readImageArchive, type ReadImageArchiveOptions } from './read-image-archive.js';
export type { ArchiveBlob, ArchiveImage, ImageArchive, ImageArchiveFormat } from './archive-image.js';
export { hostPlatform, type Platform } from './host-platform.js';
export {
  loadableArchiveStream,
  dockerManifestFor,
  describeLoadable,
  type LoadableArchive,
  type ImportName,
} from './loadable-stream.js';
export {
  planImportParts,
  importPartStream,
  DEFAULT_MAX_IMPORT_PARTS,
  type ImportPart,
  type ImportPartOptions,
} from './import-parts.js';
