export {
  openIngest,
  ImageIngest,
  type IngestOptions,
  type UnpackImage,
  type UnpackResult,
} from './image-ingest.js';
export type { BlobSink } from './blob-writer.js';
export {
  ContainerdWriteApi,
  type ContainerdWriter,
  type ContainerdWriteApiOptions,
  type ApiMount,
} from './write-api.js';
export {
  buildDockerManifest,
  layerMediaType,
  DOCKER_CONFIG_TYPE,
  DOCKER_LAYER_GZIP_TYPE,
  DOCKER_LAYER_TYPE,
  DOCKER_MANIFEST_TYPE,
  type BuiltManifest,
} from './docker-manifest.js';
export {
  manifestChildLabels,
  snapshotRefLabel,
  UNCOMPRESSED_LABEL,
  SNAPSHOT_REF_LABEL,
} from './gc-labels.js';
