import type { ByteSpan } from '../tar/index.js';

/** One blob (config or layer) of an image inside images.tar. */
export interface ArchiveBlob {
  /** Member name inside images.tar (`<hex>.tar.gz`, `blobs/sha256/<hex>`, `<id>/layer.tar`). */
  readonly entry: string;
  readonly size: number;
  /** `sha256:<hex>` where the archive names it; docker-save layer.tar members carry none. */
  readonly digest?: string;
  /** Where the member sits in images.tar, headers and padding included (a staged import copies it). */
  readonly span: ByteSpan;
}

/** One image found in images.tar. */
export interface ArchiveImage {
  /** Full, normalised references (`registry/repository:tag`), in archive order; may be empty. */
  readonly references: readonly string[];
  /** The references exactly as written in the archive. */
  readonly rawReferences: readonly string[];
  /** sha256 of the config blob: Docker's image ID, and what containerd's manifest points at. */
  readonly configDigest: string;
  readonly config: ArchiveBlob;
  readonly layers: readonly ArchiveBlob[];
  /** Bytes of config and layers as stored (layers shared with other images counted here too). */
  readonly size: number;
  /** OCI archives only: the manifest the index names. */
  readonly manifestDigest?: string;
  readonly os?: string;
  readonly architecture?: string;
}

/** The three layouts operators ship: go-containerregistry tarball, classic docker save, OCI image layout. */
export type ImageArchiveFormat = 'go-containerregistry' | 'docker-save' | 'oci-layout';

/** What images.tar holds. */
export interface ImageArchive {
  readonly format: ImageArchiveFormat;
  readonly images: readonly ArchiveImage[];
  /** Distinct blob bytes (shared layers once). */
  readonly uniqueBlobBytes: number;
  /** Byte offset where the members end and the end-of-archive marker starts. */
  readonly entriesEnd: number;
  /** Non-fatal findings, e.g. an OCI image named only by a bare tag. */
  readonly warnings: readonly string[];
}
