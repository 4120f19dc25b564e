import { AirliftError } from './airlift-error.js';
import { ErrorCode } from './codes.js';

/** The bundle file itself cannot be opened. */
export class BundleNotFoundError extends AirliftError {
  readonly code = ErrorCode.BundleNotFound;
  constructor(file: string, cause?: unknown) {
    super(
      `bundle ${file} cannot be opened${cause instanceof Error ? ` (${cause.message})` : ''}: check the path and that it is a readable file`,
      { file },
      { cause },
    );
  }
}

/** A required entry (hints.yaml, original-chart/Chart.yaml, …) is absent. */
export class BundleMissingEntryError extends AirliftError {
  readonly code = ErrorCode.BundleMissingEntry;
  constructor(file: string, entry: string, detail?: string) {
    super(
      `bundle ${file} has no entry ${entry}${detail === undefined ? '' : ` (${detail})`}: rebuild the bundle with charts-syncer or fetch it again`,
      { file, entry },
    );
  }
}

/** An entry would escape the extraction directory or is a link/device. */
export class BundleUnsafeEntryError extends AirliftError {
  readonly code = ErrorCode.BundleUnsafeEntry;
  constructor(file: string, entry: string, problem: string) {
    super(`bundle ${file}: entry ${JSON.stringify(entry)} is unsafe (${problem}); refusing the bundle`, {
      file,
      entry,
    });
  }
}

/** The archive ends before a header or an entry's data does. */
export class BundleTruncatedError extends AirliftError {
  readonly code = ErrorCode.BundleTruncated;
  constructor(file: string, entry: string | undefined, detail: string) {
    super(
      `bundle ${file} is truncated${entry === undefined ? '' : ` in entry ${entry}`}: ${detail}; the copy is incomplete, transfer it again`,
      entry === undefined ? { file } : { file, entry },
    );
  }
}

/** The bundle parses as tar but its content breaks the bundle format. */
export class BundleMalformedError extends AirliftError {
  readonly code = ErrorCode.BundleMalformed;
  constructor(file: string, entry: string | undefined, detail: string, cause?: unknown) {
    super(
      `bundle ${file}${entry === undefined ? '' : ` entry ${entry}`}: ${detail}`,
      entry === undefined ? { file } : { file, entry },
      { cause },
    );
  }
}

/** images.tar is not a docker-save, go-containerregistry or OCI layout archive we can read. */
export class ArchiveMalformedError extends AirliftError {
  readonly code = ErrorCode.ArchiveMalformed;
  constructor(file: string, entry: string | undefined, detail: string, cause?: unknown) {
    super(
      `image archive ${file}${entry === undefined ? '' : ` entry ${entry}`}: ${detail}`,
      entry === undefined ? { file } : { file, entry },
      { cause },
    );
  }
}

/** A manifest names a config or layer blob the archive does not contain. */
export class ArchiveMissingBlobError extends AirliftError {
  readonly code = ErrorCode.ArchiveMissingBlob;
  constructor(file: string, blob: string, referencedBy: string) {
    super(
      `image archive ${file}: ${referencedBy} points at blob ${blob}, which the archive does not contain; the archive is incomplete`,
      { file, entry: blob },
    );
  }
}
