import { AirliftError, type ErrorContext } from './airlift-error.js';
import { ErrorCode } from './codes.js';

// Archive ids are 64 hex digits; twelve name one unambiguously in a message, toJSON keeps the full id.
function short(archiveId: string): string {
  return archiveId.slice(0, 12);
}

/** A piece manifest (or a request to build one) breaks the manifest rules; `field` names the bad value. */
export class PieceManifestError extends AirliftError {
  readonly code = ErrorCode.PieceManifestInvalid;
  constructor(where: string, field: string, problem: string, cause?: unknown) {
    super(
      `piece manifest of ${where}: ${field === '' ? '' : `${field}: `}${problem}`,
      { file: where, field },
      { cause },
    );
  }
}

/** A piece index outside `[0, pieceCount)`, or not an integer: a peer or caller asked for nonsense. */
export class PieceIndexError extends AirliftError {
  readonly code = ErrorCode.PieceIndexOutOfRange;
  constructor(
    readonly archiveId: string,
    readonly index: number,
    readonly pieceCount: number,
    context: ErrorContext = {},
  ) {
    super(
      `archive ${short(archiveId)} has pieces 0..${pieceCount - 1}; there is no piece ${String(index)}`,
      context,
    );
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), archiveId: this.archiveId, index: this.index, pieceCount: this.pieceCount };
  }
}

/** A piece's bytes do not hash to the manifest's digest (or have the wrong length); nothing was stored. */
export class PieceCorruptError extends AirliftError {
  readonly code = ErrorCode.PieceCorrupt;
  constructor(
    readonly archiveId: string,
    readonly index: number,
    /** sha256 hex the manifest announces. */
    readonly expected: string,
    /** sha256 hex of the bytes received. */
    readonly actual: string,
    detail = '',
    context: ErrorContext = {},
  ) {
    super(
      `piece ${index} of archive ${short(archiveId)} failed verification: expected sha256 ${expected}, got ${actual}${detail === '' ? '' : ` (${detail})`}; the piece was discarded, fetch it again`,
      context,
    );
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      archiveId: this.archiveId,
      index: this.index,
      expected: this.expected,
      actual: this.actual,
    };
  }
}

/** The store was asked for the bytes of a piece it does not hold (yet). */
export class PieceMissingError extends AirliftError {
  readonly code = ErrorCode.PieceMissing;
  constructor(
    readonly archiveId: string,
    readonly index: number,
    context: ErrorContext = {},
  ) {
    super(`piece ${index} of archive ${short(archiveId)} is not in this store yet`, context);
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), archiveId: this.archiveId, index: this.index };
  }
}

/** The piece store was closed (or removed) while an operation used it or waited on it. */
export class PieceStoreClosedError extends AirliftError {
  readonly code = ErrorCode.PieceStoreClosed;
  constructor(
    readonly archiveId: string,
    dir: string,
  ) {
    super(`the piece store of archive ${short(archiveId)} at ${dir} is closed`, { file: dir });
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), archiveId: this.archiveId };
  }
}
