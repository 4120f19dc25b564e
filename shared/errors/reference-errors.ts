import { AirliftError, type ErrorContext } from './airlift-error.js';
import { ErrorCode } from './codes.js';

/** An image reference does not parse, or a rewrite would make an invalid one. */
export class InvalidReferenceError extends AirliftError {
  readonly code = ErrorCode.InvalidReference;
  constructor(reference: string, problem: string, context: ErrorContext = {}) {
    super(`invalid image reference ${JSON.stringify(reference)}: ${problem}`, { ...context, reference });
  }
}

/** A hints.yaml template does not parse or cannot be rendered against the values. */
export class TemplateError extends AirliftError {
  readonly code = ErrorCode.TemplateError;
  constructor(template: string, problem: string, context: ErrorContext = {}) {
    super(`template ${JSON.stringify(template)}: ${problem}`, context);
  }
}

/** A configuration file or option fails validation; `field` is the path to the bad value. */
export class ConfigInvalidError extends AirliftError {
  readonly code = ErrorCode.ConfigInvalid;
  constructor(where: string, field: string, problem: string, cause?: unknown) {
    super(`${where}: ${field === '' ? '' : `${field}: `}${problem}`, { file: where, field }, { cause });
  }
}
