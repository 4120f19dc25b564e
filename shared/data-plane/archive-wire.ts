import { status as GrpcStatus } from '@grpc/grpc-js';

/** An archive id: the lowercase sha256 hex of the archive's bytes. */
export const ARCHIVE_ID_PATTERN = /^[a-f0-9]{64}$/;

/**
 * Bytes per ArchiveChunk. 256 KiB–1 MiB messages run at ≈ 500 MB/s on loopback, 64 KiB ones at ≈ 290
 * MB/s (docs/FACTS): framing cost per message dominates below that.
 */
export const DEFAULT_CHUNK_BYTES = 1 << 20;

/** What a fetcher accepts per message: room for a server configured with chunks up to 4× the default. */
export const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 4 * DEFAULT_CHUNK_BYTES + 64 * 1024;

/** The name of a gRPC status code (`NOT_FOUND`), or `STATUS_<n>` for a code grpc-js does not know. */
export function grpcStatusName(code: number): string {
  return (GrpcStatus as Record<number, string | undefined>)[code] ?? `STATUS_${code}`;
}

/** The hex part of `sha256:<hex>` (or of bare hex), lowercased; undefined when it is not a sha256 digest. */
export function sha256Hex(digest: string): string | undefined {
  const hex = (digest.startsWith('sha256:') ? digest.slice('sha256:'.length) : digest).toLowerCase();
  return ARCHIVE_ID_PATTERN.test(hex) ? hex : undefined;
}
