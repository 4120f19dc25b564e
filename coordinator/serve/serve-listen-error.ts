import { AirliftError, ErrorCode } from '../../shared/errors/index.js';

/** `airlift serve` cannot listen on its address (port in use, not this host's, not host:port…). */
export class ServeListenError extends AirliftError {
  readonly code = ErrorCode.ConfigInvalid;

  constructor(
    readonly address: string,
    cause: unknown,
  ) {
    super(
      `airlift serve cannot listen on ${address}: ${cause instanceof Error ? cause.message : String(cause)}; pick a free address with --listen (default 127.0.0.1:7485)`,
      { field: '--listen' },
      { cause },
    );
  }
}
