import type { ErrorCode } from './codes.js';

/** Where an error happened; every field is optional, but set what you know. */
export interface ErrorContext {
  readonly node?: string;
  readonly file?: string;
  readonly entry?: string;
  readonly field?: string;
  readonly subject?: string;
  readonly reference?: string;
  readonly command?: string;
}

/** Base of every error airlift raises on purpose: a stable `code`, context fields and an optional cause. */
export abstract class AirliftError extends Error {
  abstract readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.context = context;
  }

  /** A plain object for structured logs and `--output json`. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, ...this.context };
  }
}

/** True when `err` is an AirliftError carrying `code`. */
export function hasErrorCode(err: unknown, code: ErrorCode): err is AirliftError {
  return err instanceof AirliftError && err.code === code;
}
