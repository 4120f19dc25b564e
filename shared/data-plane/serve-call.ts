import { status as GrpcStatus, type ServerWritableStream } from '@grpc/grpc-js';
import { ARCHIVE_ID_PATTERN } from './archive-wire.js';

type AnyServerStream = ServerWritableStream<unknown, unknown>;

/** Ends a server stream with a status: grpc-js turns an 'error' event into the call's final status. */
export function failCall(call: AnyServerStream, code: GrpcStatus, details: string): void {
  call.emit('error', { code, details });
}

/**
 * The registered archive a call asks for, or undefined after failing the call with INVALID_ARGUMENT
 * (malformed id) or NOT_FOUND (not served here).
 */
export function lookupArchive<T>(
  call: AnyServerStream,
  archiveId: string,
  lookup: (id: string) => T | undefined,
): T | undefined {
  if (!ARCHIVE_ID_PATTERN.test(archiveId)) {
    failCall(
      call,
      GrpcStatus.INVALID_ARGUMENT,
      `archive id ${JSON.stringify(archiveId)} is not a sha256 hex digest`,
    );
    return undefined;
  }
  const source = lookup(archiveId);
  if (source === undefined) failCall(call, GrpcStatus.NOT_FOUND, `archive ${archiveId} is not served here`);
  return source;
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
