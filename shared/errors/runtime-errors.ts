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

/**
 * The runtime refused a blob airlift wrote: the bytes it received do not hash to the digest (or size)
 * the archive names. The archive or its transfer is corrupt; nothing was stored under that digest.
 */
export class RuntimeBlobRejectedError extends AirliftError {
  readonly code = ErrorCode.RuntimeBlobRejected;
  constructor(runtime: string, digest: string, detail: string, context: ErrorContext = {}, cause?: unknown) {
    super(`${runtime}: refused blob ${digest}: ${detail}`, { ...context, subject: digest }, { cause });
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

/** The registry answered that it has no such image (no manifest under that tag or digest). */
export class RegistryImageNotFoundError extends AirliftError {
  readonly code = ErrorCode.RegistryImageNotFound;
  constructor(runtime: string, reference: string, detail: string, cause?: unknown) {
    super(
      `${runtime}: the registry has no image ${reference}: ${detail}; push it there first (airlift sync)`,
      { reference },
      { cause },
    );
  }
}

/** Resolving or pulling an image from its registry failed for another reason (unreachable, refused, TLS). */
export class RegistryPullError extends AirliftError {
  readonly code = ErrorCode.RegistryPullFailed;
  constructor(
    runtime: string,
    action: 'resolve' | 'pull',
    reference: string,
    detail: string,
    cause?: unknown,
  ) {
    super(
      `${runtime}: could not ${action} ${reference}: ${detail}; check the node's registry configuration (containerd hosts.toml, Docker daemon.json and login)`,
      { reference },
      { cause },
    );
  }
}
