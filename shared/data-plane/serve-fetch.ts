import { status as GrpcStatus, type ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ByteSource } from '../tar/index.js';
import { admitCaller, failCall, lookupArchive, stopSignalFor, type Registered } from './serve-call.js';
import type { AccessGate } from './archive-access.js';
import { WriteWindow } from './write-window.js';
import type { ArchiveChunk } from './generated/airlift/data/v1/ArchiveChunk.js';
import type { FetchRequest__Output } from './generated/airlift/data/v1/FetchRequest.js';
import type { ServeStats } from './serve-stats.js';

/** What a Fetch call needs from the server that accepted it. */
export interface FetchServeContext {
  readonly lookup: (archiveId: string) => Registered<ByteSource> | undefined;
  /** Who may call, and may fetch what. */
  readonly gate: AccessGate;
  readonly chunkBytes: number;
  /** Bytes one fetch may have queued towards a client that does not keep up. */
  readonly maxBufferedBytes: number;
  readonly stats: ServeStats;
  readonly logger: Logger;
  /** Aborted when the server gives up on in-flight calls (forced shutdown). */
  readonly shutdown: AbortSignal;
}

type FetchCall = ServerWritableStream<FetchRequest__Output, ArchiveChunk>;

/** Serves one Fetch: validates the request, then streams the range with back-pressure until done or cancelled. */
export async function serveFetch(call: FetchCall, ctx: FetchServeContext): Promise<void> {
  const { archiveId, offset, length, node, runId } = call.request;
  const caller = admitCaller(call, ctx.gate, node);
  if (caller === undefined) return;
  const { who } = caller;
  const log = ctx.logger.child({ archiveId, node: who, runId, offset, length });

  const source = lookupArchive(call, archiveId, ctx.lookup, (access) =>
    ctx.gate.check(caller, archiveId, access),
  );
  if (source === undefined) return;
  const wanted = length === 0 ? source.size - offset : length;
  if (offset > source.size || offset + wanted > source.size) {
    const asked = length === 0 ? `offset ${offset}` : `range [${offset}, ${offset + length})`;
    failCall(
      call,
      GrpcStatus.OUT_OF_RANGE,
      `${asked} is past the end of archive ${archiveId} (${source.size} bytes)`,
    );
    return;
  }

  // Either the client going away or the server being forced down stops the read at once.
  const stop = stopSignalFor(call, ctx.shutdown);
  ctx.stats.begin(who);
  const started = performance.now();
  const input = source.stream(offset, wanted);
  const inFlight = new WriteWindow(ctx.maxBufferedBytes);
  let position = offset;
  try {
    for await (const data of input as AsyncIterable<Buffer>) {
      for (let at = 0; at < data.length && !stop.signal.aborted; at += ctx.chunkBytes) {
        const piece = data.subarray(at, at + ctx.chunkBytes);
        inFlight.add(piece.length);
        // The callback comes once HTTP/2 took the bytes (flow control permitting), never after a cancel.
        call.write({ offset: position, data: piece }, (err?: Error | null) => {
          inFlight.done(piece.length);
          if (err === undefined || err === null) ctx.stats.sent(who, piece.length);
        });
        position += piece.length;
        await inFlight.room(stop.signal);
      }
      if (stop.signal.aborted) break;
    }
  } catch (err) {
    if (!stop.signal.aborted) {
      log.error({ err }, 'reading the archive failed');
      ctx.stats.finish(who, 'failed');
      failCall(
        call,
        GrpcStatus.INTERNAL,
        `reading archive ${archiveId} on the server failed: ${String(err)}`,
      );
      return;
    }
  } finally {
    input.destroy();
    stop.dispose();
  }

  if (stop.signal.aborted) {
    log.info({ sentUpTo: position }, 'fetch cancelled before the end');
    ctx.stats.finish(who, 'cancelled');
    return;
  }
  if (position !== offset + wanted) {
    // The source shrank under us (file truncated): say so rather than end a short stream with OK.
    log.error({ sentUpTo: position }, 'archive source ended early');
    ctx.stats.finish(who, 'failed');
    failCall(call, GrpcStatus.DATA_LOSS, `archive ${archiveId} ended at byte ${position} on the server`);
    return;
  }
  call.end();
  ctx.stats.finish(who, 'completed');
  const seconds = (performance.now() - started) / 1000;
  log.info({ bytes: wanted, seconds, mbPerSecond: Math.round(wanted / 1e6 / seconds) }, 'fetch served');
}
