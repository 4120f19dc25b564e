import { status as GrpcStatus, type ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { FetchPiecesRequest__Output } from './generated/airlift/data/v1/FetchPiecesRequest.js';
import type { Piece } from './generated/airlift/data/v1/Piece.js';
import type { PieceSource } from './piece-source.js';
import type { ServeStats } from './serve-stats.js';
import { admitCaller, failCall, lookupArchive, stopSignalFor, type Registered } from './serve-call.js';
import type { AccessGate } from './archive-access.js';
import { WriteWindow } from './write-window.js';

/** What a FetchPieces call needs from the server that accepted it. */
export interface PiecesServeContext {
  readonly lookup: (archiveId: string) => Registered<PieceSource> | undefined;
  /** Who may call, and may fetch what. */
  readonly gate: AccessGate;
  /** Bytes one call may have queued towards a client that does not keep up. */
  readonly maxBufferedBytes: number;
  readonly stats: ServeStats;
  readonly logger: Logger;
  readonly shutdown: AbortSignal;
}

type PiecesCall = ServerWritableStream<FetchPiecesRequest__Output, Piece>;

/**
 * Serves one FetchPieces call: pieces from `from_piece` on (every `stride`-th), in order, each as soon
 * as this node holds it, so a relay forwards while it still receives. Ends after the last piece.
 */
export async function servePieces(call: PiecesCall, ctx: PiecesServeContext): Promise<void> {
  const { archiveId, fromPiece, node, runId } = call.request;
  // proto3 sends 0 for a request that never set it: every piece, as before stripes existed.
  const stride = Math.max(1, call.request.stride);
  const caller = admitCaller(call, ctx.gate, node);
  if (caller === undefined) return;
  const { who } = caller;
  const log = ctx.logger.child({ archiveId, node: who, runId, fromPiece, stride });
  const source = lookupArchive(call, archiveId, ctx.lookup, (access) =>
    ctx.gate.check(caller, archiveId, access),
  );
  if (source === undefined) return;
  if (fromPiece >= source.pieceCount) {
    failCall(
      call,
      GrpcStatus.OUT_OF_RANGE,
      `piece ${fromPiece} is past the last piece (${source.pieceCount - 1})`,
    );
    return;
  }
  const stop = stopSignalFor(call, ctx.shutdown);
  ctx.stats.begin(who);
  const inFlight = new WriteWindow(ctx.maxBufferedBytes);
  let index = fromPiece;
  try {
    for (; index < source.pieceCount && !stop.signal.aborted; index += stride) {
      const data = await source.piece(index, stop.signal);
      inFlight.add(data.length);
      call.write({ index, data }, (err?: Error | null) => {
        inFlight.done(data.length);
        if (err === undefined || err === null) ctx.stats.sent(who, data.length);
      });
      await inFlight.room(stop.signal);
    }
  } catch (err) {
    if (!stop.signal.aborted) {
      log.error({ err, index }, 'reading a piece failed');
      ctx.stats.finish(who, 'failed');
      failCall(
        call,
        GrpcStatus.INTERNAL,
        `reading piece ${index} of archive ${archiveId} failed: ${String(err)}`,
      );
      return;
    }
  } finally {
    stop.dispose();
  }
  if (stop.signal.aborted) {
    log.info({ sentUpTo: index }, 'piece fetch cancelled');
    ctx.stats.finish(who, 'cancelled');
    return;
  }
  call.end();
  ctx.stats.finish(who, 'completed');
  log.info({ pieces: Math.ceil((source.pieceCount - fromPiece) / stride) }, 'pieces served');
}
