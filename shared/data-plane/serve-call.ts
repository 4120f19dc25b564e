import { status as GrpcStatus, type ServerWritableStream } from '@grpc/grpc-js';
import {
  isRefusal,
  type AccessGate,
  type ArchiveAccess,
  type Caller,
  type Refusal,
} from './archive-access.js';
import { ARCHIVE_ID_PATTERN } from './archive-wire.js';

type AnyServerStream = ServerWritableStream<unknown, unknown>;

/** Ends a server stream with a status: grpc-js turns an 'error' event into the call's final status. */
export function failCall(call: AnyServerStream, code: GrpcStatus, details: string): void {
  call.emit('error', { code, details });
}

/** An archive as a server registered it: what it serves and to whom. */
export interface Registered<T> {
  readonly source: T;
  readonly access: ArchiveAccess;
}

/**
 * The registered archive a call asks for, or undefined after failing the call with INVALID_ARGUMENT
 * (malformed id), NOT_FOUND (not served here) or the refusal `check` returns for the archive's access.
 */
export function lookupArchive<T>(
  call: AnyServerStream,
  archiveId: string,
  lookup: (id: string) => Registered<T> | undefined,
  check: (access: ArchiveAccess) => Refusal | undefined,
): T | undefined {
  if (!ARCHIVE_ID_PATTERN.test(archiveId)) {
    failCall(
      call,
      GrpcStatus.INVALID_ARGUMENT,
      `archive id ${JSON.stringify(archiveId)} is not a sha256 hex digest`,
    );
    return undefined;
  }
  const entry = lookup(archiveId);
  if (entry === undefined) {
    failCall(call, GrpcStatus.NOT_FOUND, `archive ${archiveId} is not served here`);
    return undefined;
  }
  const refusal = check(entry.access);
  if (refusal !== undefined) {
    failCall(call, refusal.code, refusal.details);
    return undefined;
  }
  return entry.source;
}

/** The caller of a fetch, or undefined after failing the call with the gate's refusal. */
export function admitCaller(
  call: AnyServerStream,
  gate: AccessGate,
  requestNode: string,
): Caller | undefined {
  const outcome = gate.admit(call, requestNode);
  if (!isRefusal(outcome)) return outcome;
  failCall(call, outcome.code, outcome.details);
  return undefined;
}

/** A signal that fires when the client goes away or the server is forced down; dispose() unhooks it. */
export function stopSignalFor(
  call: AnyServerStream,
  shutdown: AbortSignal,
): { signal: AbortSignal; dispose(): void } {
  const stop = new AbortController();
  const onCancelled = (): void => {
    stop.abort(new Error('cancelled'));
  };
  call.once('cancelled', onCancelled);
  shutdown.addEventListener('abort', onCancelled, { once: true });
  if (call.cancelled || shutdown.aborted) onCancelled();
  return {
    signal: stop.signal,
    dispose: () => {
      call.off('cancelled', onCancelled);
      shutdown.removeEventListener('abort', onCancelled);
    },
  };
}
