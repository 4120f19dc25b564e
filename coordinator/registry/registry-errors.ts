import { AirliftError, ErrorCode } from '../../shared/errors/index.js';

/** Where in a registry a request went; never holds credentials. */
export interface RegistryWhere {
  readonly registry: string;
  readonly repository?: string;
  readonly digest?: string;
}

function describe(where: RegistryWhere): string {
  const repo = where.repository === undefined ? '' : `/${where.repository}`;
  const digest = where.digest === undefined ? '' : ` (${where.digest})`;
  return `${where.registry}${repo}${digest}`;
}

/** The registry could not be reached (connection refused, TLS failure, timeout) after every retry. */
export class RegistryUnreachableError extends AirliftError {
  readonly code = ErrorCode.RegistryUnreachable;
  constructor(
    readonly where: RegistryWhere,
    detail: string,
    cause?: unknown,
  ) {
    super(
      `registry ${describe(where)} unreachable: ${detail}; check the address, the port, --insecure-registry for a plain-http registry, or the CA file for TLS`,
      { reference: describe(where) },
      { cause },
    );
  }
}

/** The registry refused the credentials (or asked for some and none were given). */
export class RegistryAuthFailedError extends AirliftError {
  readonly code = ErrorCode.RegistryAuthFailed;
  constructor(
    readonly where: RegistryWhere,
    detail: string,
  ) {
    super(
      `registry ${describe(where)} refused authentication: ${detail}; check the user name and password given for this registry`,
      { reference: describe(where) },
    );
  }
}

/** The registry answered a request with an unexpected status. */
export class RegistryRequestFailedError extends AirliftError {
  readonly code = ErrorCode.RegistryRequestFailed;
  constructor(
    readonly where: RegistryWhere,
    readonly operation: string,
    /** The HTTP status, or undefined when the request was refused before it was sent. */
    readonly status: number | undefined,
    detail: string,
  ) {
    const how = status === undefined ? 'cannot be done' : `failed with HTTP ${status}`;
    super(`registry ${describe(where)}: ${operation} ${how}: ${detail}`, {
      reference: describe(where),
    });
  }
}
