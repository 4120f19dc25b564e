import { AirliftError } from './airlift-error.js';
import { ErrorCode } from './codes.js';

/** An identity file is missing, unreadable or malformed; the message names the file and field, never a key. */
export class IdentityInvalidError extends AirliftError {
  readonly code = ErrorCode.IdentityInvalid;
  constructor(file: string, field: string, detail: string, cause?: unknown) {
    super(
      `identity ${file}${field === '' ? '' : ` (field ${field})`}: ${detail}`,
      { file, ...(field === '' ? {} : { field }) },
      { cause },
    );
  }
}

/** A signed control message failed its check: unsigned, unknown signer, or a signature that does not match. */
export class SignatureInvalidError extends AirliftError {
  readonly code = ErrorCode.SignatureInvalid;
  constructor(subject: string, detail: string) {
    super(`message on ${subject} refused: ${detail}`, { subject });
  }
}

/** Another run holds the fleet: two coordinators must never drive the same nodes at once. */
export class RunLockedError extends AirliftError {
  readonly code = ErrorCode.RunLocked;
  readonly holder: string;
  constructor(holder: string, detail: string) {
    super(detail, {});
    this.holder = holder;
  }
}
