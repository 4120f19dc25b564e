import { inspect } from 'node:util';

import {
  AuthorizationError,
  ClosedConnectionError,
  DrainingConnectionError,
  RequestError,
  TimeoutError,
  UserAuthenticationExpiredError,
} from '@nats-io/transport-node';

import {
  AirliftError,
  BusAuthError,
  BusKvError,
  BusRequestError,
  BusUnavailableError,
} from '../errors/index.js';

/** Removes every secret value from a text that came from the client or the server. */
export type Scrub = (text: string) => string;

/** A Scrub for these secrets. */
export function scrubberFor(secrets: readonly string[]): Scrub {
  return (text) => secrets.reduce((result, secret) => result.split(secret).join('[redacted]'), text);
}

/** The first connect failed: refused credentials, or no server answered. */
export function connectFailure(error: unknown, servers: readonly string[], scrub: Scrub): AirliftError {
  const raw = describeError(error);
  const reason = scrub(raw);
  // A cause that held a secret would print it with util.inspect; keep only the scrubbed text then.
  const cause = reason === raw ? error : new Error(reason);
  if (error instanceof AuthorizationError || error instanceof UserAuthenticationExpiredError) {
    return new BusAuthError(servers, reason, cause);
  }
  return new BusUnavailableError(
    servers,
    `cannot connect (${reason}): check that nats-server runs there and is reachable from this host ` +
      '(firewall, TLS settings), or let the process wait for it (waitOnFirstConnect)',
    cause,
  );
}

/** The connection is closed (drained, or given up): nothing more can be sent on it. */
export function closedFailure(servers: readonly string[], error?: unknown): BusUnavailableError {
  return new BusUnavailableError(
    servers,
    'the connection is closed (drained, or reconnecting was given up); connect again',
    error,
  );
}

/** The server went away while we waited for it; the client is reconnecting. */
export function disconnectedFailure(servers: readonly string[], error: unknown): BusUnavailableError {
  return new BusUnavailableError(
    servers,
    `the connection was lost (${describeError(error)}); the client keeps reconnecting, try again`,
    error,
  );
}

/** True for the client's "this connection is closed or closing" errors. */
export function isClosedError(error: unknown): boolean {
  return error instanceof ClosedConnectionError || error instanceof DrainingConnectionError;
}

/** A request got no reply. */
export function requestFailure(
  error: unknown,
  subject: string,
  timeoutMs: number,
  servers: readonly string[],
): AirliftError {
  if (isClosedError(error)) return closedFailure(servers, error);
  if (error instanceof RequestError && error.isNoResponders()) {
    return new BusRequestError(
      subject,
      'no-responders',
      'no agent listens on this subject: is the agent running and connected to the same NATS?',
      error,
    );
  }
  if (error instanceof TimeoutError) {
    return new BusRequestError(
      subject,
      'timeout',
      `no reply within ${timeoutMs} ms: the responder is busy or stuck, or the connection to NATS is down`,
      error,
    );
  }
  return new BusRequestError(subject, 'failed', describeError(error), error);
}

/** A KV operation failed; `what` names it (`put`, `watch`…). */
export function kvFailure(
  error: unknown,
  bucket: string,
  key: string | undefined,
  what: string,
  servers: readonly string[],
): AirliftError {
  if (error instanceof AirliftError) return error;
  if (isClosedError(error)) return closedFailure(servers, error);
  if (error instanceof Error && error.name === 'JetStreamNotEnabled') {
    return new BusKvError(
      bucket,
      key,
      `${what} failed: JetStream is not enabled on NATS at ${servers.join(', ')}; start nats-server with -js and a store dir (-sd)`,
      error,
    );
  }
  if (error instanceof TimeoutError) {
    return new BusKvError(
      bucket,
      key,
      `${what} timed out: JetStream did not answer (the connection to NATS may be down)`,
      error,
    );
  }
  return new BusKvError(bucket, key, `${what} failed: ${describeError(error)}`, error);
}

/** The message of an error and of its causes, for one readable line. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    const message = current instanceof Error ? current.message : inspect(current, { depth: 1 });
    if (message !== '' && !parts.some((part) => part.includes(message))) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.length === 0 ? 'unknown error' : parts.join(': ');
}
