import { status as GrpcStatus } from '@grpc/grpc-js';
import type { ArchiveAccess, Refusal } from './archive-access.js';
import { ARCHIVE_ID_PATTERN } from './archive-wire.js';

/** An archive as a server registered it: what it serves and to whom. */
export interface Registered<T> {
  readonly source: T;
  readonly access: ArchiveAccess;
}

/**
 * The registered archive a call asks for, or the refusal to answer it with: INVALID_ARGUMENT (malformed
 * id), NOT_FOUND (not served here) or what `check` says of the archive's access.
 */
export function lookupArchive<T>(
  archiveId: string,
  lookup: (id: string) => Registered<T> | undefined,
  check: (access: ArchiveAccess) => Refusal | undefined,
): { readonly source: T } | Refusal {
  if (!ARCHIVE_ID_PATTERN.test(archiveId)) {
    return {
      code: GrpcStatus.INVALID_ARGUMENT,
      details: `archive id ${JSON.stringify(archiveId)} is not a sha256 hex digest`,
    };
  }
  const entry = lookup(archiveId);
  if (entry === undefined) {
    return { code: GrpcStatus.NOT_FOUND, details: `archive ${archiveId} is not served here` };
  }
  return check(entry.access) ?? { source: entry.source };
}
