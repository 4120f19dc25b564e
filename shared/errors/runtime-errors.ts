import { AirliftError, type ErrorContext } from './airlift-error.js';
import { ErrorCode } from './codes.js';

/** No container runtime answers at the configured or probed addresses. */
export class RuntimeUnavailableError extends AirliftError {
  readonly code = ErrorCode.RuntimeUnavailable;
  constructor(message: string, context: ErrorContext = {}, cause?: unknown) {
    super(message, context, { cause });
  }
}

/** Loading an image archive into the runtime failed. */
export class RuntimeLoadError extends AirliftError {
  readonly code = ErrorCode.RuntimeLoadFailed;
  constructor(runtime: string, detail: string, context: ErrorContext = {}, cause?: unknown) {
    super(`${runtime}: loading the image archive failed: ${detail}`, context, { cause });
  }
}

/** Tagging an image in the runtime failed. */
export class RuntimeTagError extends AirliftError {
  readonly code = ErrorCode.RuntimeTagFailed;
  constructor(
    runtime: string,
    source: string,
    target: string,
    detail: string,
    context: ErrorContext = {},
    cause?: unknown,
  ) {
    super(
      `${runtime}: tagging ${source} as ${target} failed: ${detail}`,
      { ...context, reference: target },
      { cause },
    );
  }
}

/** After load and retag, an expected reference is missing or points at another image. */
export class ImageVerificationError extends AirliftError {
  readonly code = ErrorCode.ImageVerificationFailed;
  constructor(message: string, context: ErrorContext = {}) {
    super(message, context);
  }
}
