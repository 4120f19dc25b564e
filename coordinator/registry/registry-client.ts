import type { Readable } from 'node:stream';
import type { Secret } from '../../shared/reference/index.js';

/** Credentials for one registry; the password stays a Secret until the request that sends it. */
export interface RegistryCredentials {
  readonly username: string;
  readonly password: Secret;
}

/** How to reach one registry. */
export interface RegistryClientOptions {
  /** `host[:port]` as in image references. */
  readonly registry: string;
  readonly credentials?: RegistryCredentials;
  /** Speak plain http (`--insecure-registry`); default https. */
  readonly plainHttp?: boolean;
  /** PEM CA bundle to trust instead of the system store. */
  readonly caFile?: string;
  /** Accept any certificate (https without verification); only with an explicit flag. */
  readonly skipTlsVerify?: boolean;
  /** Per-request timeout for small requests, and idle timeout for blob bodies; default 60 s. */
  readonly timeoutMs?: number;
  /** Attempts for 5xx and connection errors; default 4. */
  readonly attempts?: number;
  /** First backoff delay, doubled per retry; default 500 ms. */
  readonly backoffMs?: number;
}

/** A manifest as the registry serves it. */
export interface FetchedManifest {
  readonly mediaType: string;
  readonly digest: string;
  readonly body: Buffer;
}

/** A blob body that can be opened again for a retry: a file range streamed, never buffered whole. */
export interface BlobBody {
  readonly size: number;
  open(): Readable;
}

/** What happened to a blob the caller wanted in a repository. */
export type BlobOutcome = 'exists' | 'mounted' | 'uploaded';

/** The distribution-API calls airlift needs, against one registry. */
export interface RegistryClient {
  /** `host[:port]` this client talks to. */
  readonly registry: string;
  /** GET /v2/: reachability and credentials. */
  ping(signal?: AbortSignal): Promise<void>;
  /** HEAD a blob: true when the repository holds it. */
  hasBlob(repository: string, digest: string, signal?: AbortSignal): Promise<boolean>;
  /** Cross-repository mount; false when the registry started an upload instead (then upload). */
  mountBlob(repository: string, digest: string, from: string, signal?: AbortSignal): Promise<boolean>;
  /** Monolithic upload (POST then PUT), the body streamed; `onBytes` sees each chunk sent. */
  uploadBlob(
    repository: string,
    digest: string,
    body: BlobBody,
    options?: { signal?: AbortSignal; onBytes?: (bytes: number) => void },
  ): Promise<void>;
  /** HEAD a manifest by tag or digest: its digest, or undefined when absent. */
  manifestDigest(repository: string, reference: string, signal?: AbortSignal): Promise<string | undefined>;
  /** GET a manifest (any of the docker/OCI manifest and index types). */
  getManifest(repository: string, reference: string, signal?: AbortSignal): Promise<FetchedManifest>;
  /** PUT a manifest under a tag or its digest; returns the digest the registry reports. */
  putManifest(
    repository: string,
    reference: string,
    mediaType: string,
    body: Buffer,
    signal?: AbortSignal,
  ): Promise<string>;
  /** Releases keep-alive sockets. */
  close(): void;
}

/** Manifest media types accepted when reading back. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
] as const;
