import { AirliftError, type ErrorContext } from './airlift-error.js';
import { ErrorCode } from './codes.js';

/** A data-plane transfer failed at the gRPC level: unreachable source, unknown archive, dropped stream… */
export class ArchiveFetchError extends AirliftError {
  readonly code = ErrorCode.ArchiveFetchFailed;

  constructor(
    readonly archiveId: string,
    readonly address: string,
    /** The gRPC status name, e.g. `UNAVAILABLE`, `NOT_FOUND`. */
    readonly status: string,
    details: string,
    context: ErrorContext = {},
    cause?: unknown,
  ) {
    super(
      `fetching archive ${archiveId} from ${address} failed: ${status}: ${details}`,
      context,
      cause === undefined ? undefined : { cause },
    );
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), archiveId: this.archiveId, address: this.address, status: this.status };
  }
}

/** The bytes received are not the archive the job announced (digest or length differs, or out of order). */
export class ArchiveIntegrityError extends AirliftError {
  readonly code = ErrorCode.ArchiveIntegrityFailed;

  constructor(
    readonly archiveId: string,
    readonly address: string,
    detail: string,
    context: ErrorContext = {},
  ) {
    super(
      `archive ${archiveId} from ${address} failed verification: ${detail}; the transfer is rejected, fetch it again`,
      context,
    );
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), archiveId: this.archiveId, address: this.address };
  }
}

/** The data-plane server cannot listen on its address (port in use, address not on this host…). */
export class DataPlaneListenError extends AirliftError {
  readonly code = ErrorCode.DataPlaneListenFailed;

  constructor(
    readonly address: string,
    cause: unknown,
  ) {
    super(
      `the data plane cannot listen on ${address}: ${cause instanceof Error ? cause.message : String(cause)}; pick a free port or an address of this host`,
      {},
      { cause },
    );
  }
}
