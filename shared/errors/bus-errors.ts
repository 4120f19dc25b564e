import { AirliftError } from './airlift-error.js';
import { ErrorCode } from './codes.js';

/** No NATS server of the list can be reached, or the connection is closed for good. */
export class BusUnavailableError extends AirliftError {
  readonly code = ErrorCode.BusUnavailable;
  /** The server URLs tried, without credentials. */
  readonly servers: readonly string[];
  constructor(servers: readonly string[], detail: string, cause?: unknown) {
    super(`NATS at ${servers.join(', ')}: ${detail}`, {}, { cause });
    this.servers = servers;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), servers: this.servers };
  }
}

/** The server refused the credentials (user/password, token or creds file). */
export class BusAuthError extends AirliftError {
  readonly code = ErrorCode.BusAuthFailed;
  readonly servers: readonly string[];
  constructor(servers: readonly string[], detail: string, cause?: unknown) {
    super(
      `NATS at ${servers.join(', ')} refused the credentials (${detail}): check the user and password, token or creds file`,
      {},
      { cause },
    );
    this.servers = servers;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), servers: this.servers };
  }
}

/** Why a request got no reply. */
export type BusRequestFailure = 'timeout' | 'no-responders' | 'failed';

/** A request on `subject` got no reply: nobody listens, the responder was too slow, or it failed. */
export class BusRequestError extends AirliftError {
  readonly code = ErrorCode.BusRequestFailed;
  readonly reason: BusRequestFailure;
  constructor(subject: string, reason: BusRequestFailure, detail: string, cause?: unknown) {
    super(`request on ${subject}: ${detail}`, { subject }, { cause });
    this.reason = reason;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reason: this.reason };
  }
}

/** A JetStream KV operation failed; `subject` is the key's `$KV.<bucket>.<key>` subject. */
export class BusKvError extends AirliftError {
  readonly code = ErrorCode.BusKvFailed;
  readonly bucket: string;
  readonly key: string | undefined;
  constructor(bucket: string, key: string | undefined, detail: string, cause?: unknown) {
    super(
      `KV bucket ${bucket}${key === undefined ? '' : ` key ${key}`}: ${detail}`,
      { subject: `$KV.${bucket}${key === undefined ? '' : `.${key}`}` },
      { cause },
    );
    this.bucket = bucket;
    this.key = key;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), bucket: this.bucket, ...(this.key === undefined ? {} : { key: this.key }) };
  }
}
