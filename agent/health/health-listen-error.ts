import { AirliftError, ErrorCode } from '../../shared/errors/index.js';

/** The health and metrics endpoint cannot listen on its address (port in use, not this host's…). */
export class HealthListenError extends AirliftError {
  readonly code = ErrorCode.ConfigInvalid;

  constructor(
    readonly address: string,
    cause: unknown,
  ) {
    super(
      `the health and metrics endpoint cannot listen on ${address}: ${cause instanceof Error ? cause.message : String(cause)}; pick a free port with --metrics-listen, or --metrics-listen off`,
      { field: '--metrics-listen' },
      { cause },
    );
  }
}
