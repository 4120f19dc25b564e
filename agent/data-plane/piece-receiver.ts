import { setTimeout as sleep } from 'node:timers/promises';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { TokenBucket } from '../../shared/async/index.js';
import { createArchiveClient, type Piece__Output } from '../../shared/data-plane/index.js';
import { AirliftError } from '../../shared/errors/index.js';

/** Where received pieces go: the agent's on-disk piece store (checks each digest on write). */
export interface PieceTarget {
  readonly complete: boolean;
  has(index: number): boolean;
  /** Stores a piece after checking its sha256; rejects (and stores nothing) when it does not match. */
  write(index: number, data: Buffer): Promise<void>;
  missing(): number[];
  /** Resolves once every stored piece is durable; rejects with a failed disk write. */
  flush(): Promise<void>;
}

/** What to fetch and from whom. */
export interface ReceiveOptions {
  readonly archiveId: string;
  /** gRPC addresses in order of preference: the planned upstream peer first, the coordinator last. */
  readonly sources: readonly string[];
  readonly node: string;
  readonly runId: string;
  readonly target: PieceTarget;
  readonly signal: AbortSignal;
  /** No piece for this long means the source stalled: switch to the next one. */
  readonly stallMs: number;
  /** Bytes per second this node may receive (`--max-rate`). */
  readonly maxRate?: TokenBucket;
  /**
   * HTTP/2 receive window per source stream. Node's default (64 KiB) is smaller than a piece: the
   * source then waits for a window update from this process for every 64 KiB, and a relay that is
   * briefly off the CPU stalls the whole chain behind it.
   */
  readonly flowControlWindow?: number;
  /** Rounds through every source without progress before giving up. */
  readonly maxIdleRounds?: number;
  readonly logger: Logger;
  readonly onPiece?: (index: number, bytes: number, source: string) => void;
}

/** What a receiver did, for the node's report and the benchmark. */
export interface ReceiveReport {
  readonly piecesReceived: number;
  readonly bytesReceived: number;
  /** Pieces whose digest did not match; dropped and fetched again from another source. */
  readonly corruptPieces: number;
  /** Times the receiver gave up on a source (died, stalled, sent a bad piece) and moved on. */
  readonly sourceSwitches: number;
  readonly bytesFromSource: Readonly<Record<string, number>>;
}

/** A source that failed us; the message says why, for the logs. */
class SourceProblem extends Error {}

/**
 * A peer that does not serve the archive yet: its own job started a moment after ours (jobs reach the
 * nodes at about the same time). Worth waiting for, up to the stall timeout, before it counts as a
 * problem: switching would send this node to the coordinator, which then uploads the archive twice.
 */
class SourceNotReady extends SourceProblem {}

/** How long to wait before asking a not-yet-ready source again. */
const NOT_READY_RETRY_MS = 200;

/**
 * Fetches every missing piece, in order, from the first source that delivers; on a dead, stalled or
 * lying source it moves to the next and continues from the first piece still missing.
 */
export async function receivePieces(options: ReceiveOptions): Promise<ReceiveReport> {
  const { target, sources, signal } = options;
  const log = options.logger.child({ component: 'piece-receiver', archiveId: options.archiveId });
  const stats = { piecesReceived: 0, bytesReceived: 0, corruptPieces: 0, sourceSwitches: 0 };
  const bytesFromSource: Record<string, number> = {};
  const maxIdleRounds = options.maxIdleRounds ?? 3;
  let current = 0;
  let idle = 0;
  // A getter, not the narrowed property: fetchFrom() completes the store behind the compiler's back.
  const complete = (): boolean => target.complete;
  let notReadySince: number | undefined;
  while (!complete()) {
    signal.throwIfAborted();
    const source = sources[current % sources.length];
    if (source === undefined) throw new Error('no source to fetch pieces from');
    const before = stats.piecesReceived;
    try {
      await fetchFrom(source, options, stats, bytesFromSource);
      if (!complete()) throw new SourceProblem('stream ended before the last piece');
    } catch (err) {
      // Say why we stopped (timeout, agent stopping), not what gRPC made of the cancel.
      if (signal.aborted) throw signal.reason;
      if (err instanceof SourceNotReady) {
        notReadySince ??= performance.now();
        if (performance.now() - notReadySince < options.stallMs) {
          await sleep(NOT_READY_RETRY_MS, undefined, { signal });
          continue;
        }
      }
      notReadySince = undefined;
      stats.sourceSwitches++;
      log.warn(
        { source, problem: (err as Error).message, missing: target.missing().length },
        'switching source',
      );
      current++;
    }
    // A full round through the sources with nothing new means none can help.
    idle = stats.piecesReceived > before ? 0 : idle + 1;
    if (!complete() && idle >= maxIdleRounds * sources.length) {
      throw new Error(`no source delivered a piece in ${idle} attempts (tried ${sources.join(', ')})`);
    }
  }
  // Pieces reach peers and the import before they reach the disk; a failed write still fails the job.
  await target.flush();
  return { ...stats, bytesFromSource };
}

async function fetchFrom(
  source: string,
  options: ReceiveOptions,
  stats: { piecesReceived: number; bytesReceived: number; corruptPieces: number },
  bytesFromSource: Record<string, number>,
): Promise<void> {
  const { target } = options;
  const fromPiece = target.missing()[0] ?? 0;
  const client = createArchiveClient(
    source,
    options.flowControlWindow === undefined ? {} : { flowControlWindow: options.flowControlWindow },
  );
  const call = client.FetchPieces({
    archiveId: options.archiveId,
    fromPiece,
    node: options.node,
    runId: options.runId,
  });
  let stallTimer: NodeJS.Timeout | undefined;
  const watch = { stalled: false };
  const armStall = (): void => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => {
      watch.stalled = true;
      call.cancel();
    }, options.stallMs);
  };
  const onAbort = (): void => {
    call.cancel();
  };
  options.signal.addEventListener('abort', onAbort, { once: true });
  armStall();
  try {
    for await (const message of call as AsyncIterable<Piece__Output>) {
      armStall();
      const { index, data } = message;
      if (target.has(index)) continue;
      await options.maxRate?.take(data.length, options.signal);
      try {
        await target.write(index, data);
      } catch (err) {
        if (err instanceof AirliftError) {
          stats.corruptPieces++;
          throw new SourceProblem(`piece ${index} from ${source} is corrupt: ${err.message}`);
        }
        throw err;
      }
      stats.piecesReceived++;
      stats.bytesReceived += data.length;
      bytesFromSource[source] = (bytesFromSource[source] ?? 0) + data.length;
      options.onPiece?.(index, data.length, source);
    }
  } catch (err) {
    if (watch.stalled) throw new SourceProblem(`no piece from ${source} for ${options.stallMs} ms`);
    if (options.signal.aborted) throw options.signal.reason;
    if (err instanceof SourceProblem) throw err;
    if ((err as { code?: unknown }).code === GrpcStatus.NOT_FOUND && stats.piecesReceived === 0) {
      throw new SourceNotReady(`${source} does not serve the archive yet`);
    }
    throw new SourceProblem(`${source}: ${(err as Error).message}`);
  } finally {
    clearTimeout(stallTimer);
    options.signal.removeEventListener('abort', onAbort);
    call.cancel();
    client.close();
  }
}
