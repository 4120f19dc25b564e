import { AirliftError } from './airlift-error.js';
import { ErrorCode } from './codes.js';

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
