import { status as GrpcStatus } from '@grpc/grpc-js';
import type { AccessGate, Caller, Refusal } from './archive-access.js';
import { isRefusal } from './archive-access.js';
import type { FetchPiecesRequest__Output } from './generated/airlift/data/v1/FetchPiecesRequest.js';
import type { PieceSource } from './piece-source.js';
import { lookupArchive, type Registered } from './serve-call.js';

/** An admitted fetch: what the piece stream sends once its ticket is redeemed. */
export interface PieceFetch {
  readonly archiveId: string;
  readonly source: PieceSource;
  readonly fromPiece: number;
  readonly stride: number;
  readonly caller: Caller;
  readonly runId: string;
}

/** What admitting a fetch needs from the server. */
export interface AdmitContext {
  readonly gate: AccessGate;
  readonly lookup: (archiveId: string) => Registered<PieceSource> | undefined;
}

/**
 * Decides an OpenPieceStream call: the caller must be who its certificate says and allowed the archive,
 * the archive served here, and `from_piece` inside it. The refusal names what failed.
 */
export function admitFetch(
  call: Parameters<AccessGate['admit']>[0],
  request: FetchPiecesRequest__Output,
  ctx: AdmitContext,
): PieceFetch | Refusal {
  const { archiveId, fromPiece, node, runId } = request;
  const caller = ctx.gate.admit(call, node);
  if (isRefusal(caller)) return caller;
  const found = lookupArchive(archiveId, ctx.lookup, (access) => ctx.gate.check(caller, archiveId, access));
  if (isRefusal(found)) return found;
  const { source } = found;
  if (fromPiece >= source.pieceCount) {
    return {
      code: GrpcStatus.OUT_OF_RANGE,
      details: `piece ${fromPiece} is past the last piece (${source.pieceCount - 1})`,
    };
  }
  // proto3 sends 0 for a request that never set it: every piece, as before stripes existed.
  const stride = Math.max(1, request.stride);
  return { archiveId, source, fromPiece, stride, caller, runId };
}
