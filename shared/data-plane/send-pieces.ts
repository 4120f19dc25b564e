import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { PieceFetch } from './open-piece-stream.js';
import { END_OF_PIECES, frameHeader } from './piece-frames.js';
import type { ServeStats } from './serve-stats.js';

/** What sending one fetch needs from its server. */
export interface SendContext {
  readonly stats: ServeStats;
  /** Bytes one stream may queue towards a receiver that reads slower than the file. */
  readonly maxBufferedBytes: number;
  readonly logger: Logger;
}

/**
 * Writes the fetch's pieces to `socket` as frames, in order, each as soon as this node holds it (a
 * relay forwards while it still receives), then closes the stream. The piece's own buffer goes to the
 * socket: nothing is copied on the way to TLS, and an end frame says the stream is complete. Ends
 * early, without throwing, when `signal` aborts (the receiver went away, or the server is stopping); a
 * failed piece read destroys the stream without its end frame, which the receiver counts against this
 * source.
 */
export async function sendPieces(
  socket: Socket,
  fetch: PieceFetch,
  ctx: SendContext,
  signal: AbortSignal,
): Promise<void> {
  const { who } = fetch.caller;
  const log = ctx.logger.child({
    archiveId: fetch.archiveId,
    node: who,
    runId: fetch.runId,
    fromPiece: fetch.fromPiece,
    stride: fetch.stride,
  });
  ctx.stats.begin(who);
  let index = fetch.fromPiece;
  try {
    for (; index < fetch.source.pieceCount; index += fetch.stride) {
      const data = await fetch.source.piece(index, signal);
      socket.cork();
      socket.write(frameHeader(index, data.length));
      socket.write(data, (err) => {
        // Called once the socket is done with the bytes, also when it failed or was destroyed.
        fetch.source.release?.(data);
        if (err === undefined || err === null) ctx.stats.sent(who, data.length);
      });
      socket.uncork();
      if (socket.writableLength >= ctx.maxBufferedBytes) await once(socket, 'drain', { signal });
    }
  } catch (err) {
    if (signal.aborted) {
      log.info({ sentUpTo: index }, 'piece stream cancelled');
      ctx.stats.finish(who, 'cancelled');
    } else {
      log.error({ err, index }, 'reading a piece failed: dropping the stream');
      ctx.stats.finish(who, 'failed');
    }
    socket.destroy();
    return;
  }
  socket.end(frameHeader(END_OF_PIECES, 0));
  const delivered = await finished(socket, { readable: false }).then(
    () => true,
    () => false,
  );
  ctx.stats.finish(who, delivered ? 'completed' : 'cancelled');
  if (!delivered) return;
  log.info(
    { pieces: Math.ceil((fetch.source.pieceCount - fetch.fromPiece) / fetch.stride) },
    'pieces served',
  );
}
