import { setTimeout as sleep } from 'node:timers/promises';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { TokenBucket } from '../async/index.js';
import type { PieceSourceRef } from '../../shared/control/index.js';
import { fetchPieces, type DataPlaneTls } from '../../shared/data-plane/index.js';
import { AirliftError, isDiskError, SpoolWriteError } from '../../shared/errors/index.js';
import { componentLogger } from '../../shared/logging/index.js';

/** Where received pieces go: the agent's on-disk piece store (checks each digest on write). */
export interface PieceTarget {
  readonly complete: boolean;
  has(index: number): boolean;
  /**
   * Stores a piece after checking its sha256; rejects (and stores nothing) when it does not match.
   * `handOver`: the caller never touches `data` again, so the target may keep it instead of a copy.
   */
  write(index: number, data: Buffer, handOver?: boolean): Promise<void>;
  /** A buffer to receive a piece of `length` bytes into, handed over to write() afterwards. */
  allocate?(length: number): Buffer;
  missing(): number[];
  /** Resolves once every stored piece is durable; rejects with a failed disk write. */
  flush(): Promise<void>;
  /** The store's directory, named when its disk fails. */
  readonly path?: string;
}

/** What to fetch and from whom. */
export interface ReceiveOptions {
  readonly archiveId: string;
  /**
   * Per stripe, sources (address and who serves there) in order of preference: the planned upstream
   * peer first, the coordinator last. Stripe s carries the pieces whose index % stripes.length is s,
   * each from its own sources and all at once; one stripe carries every piece.
   */
  readonly stripes: readonly (readonly PieceSourceRef[])[];
  /**
   * Mutual TLS with this node's certificate: each source must present a certificate naming the source's
   * `name`, or it counts as a failed source. Without it, plaintext and unchecked (`--insecure`).
   */
  readonly tls?: DataPlaneTls;
  readonly node: string;
  readonly runId: string;
  readonly target: PieceTarget;
  readonly signal: AbortSignal;
  /** No piece for this long means the source stalled: switch to the next one. */
  readonly stallMs: number;
  /** Bytes per second this node may receive (`--max-rate`). */
  readonly maxRate?: TokenBucket;
  /** Rounds through every source without progress before giving up. */
  readonly maxIdleRounds?: number;
  readonly logger: Logger;
  /** `source` is the address the piece came from. */
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

/** Counters every stripe of one receive adds to. */
interface ReceiveStats {
  piecesReceived: number;
  bytesReceived: number;
  corruptPieces: number;
  sourceSwitches: number;
  readonly bytesFromSource: Record<string, number>;
}

/** One stripe of a receive: the pieces with index % count === stripe. */
interface Stripe {
  readonly stripe: number;
  readonly count: number;
  readonly sources: readonly PieceSourceRef[];
  /** Pieces this stripe received so far: a peer that is not ready is only waited for before the first. */
  received: number;
}

/**
 * Fetches every missing piece, each stripe in order from the first of its sources that delivers; on a
 * dead, stalled or lying source a stripe moves to its next source and continues from its first piece
 * still missing. The first stripe that gives up stops the others.
 */
export async function receivePieces(options: ReceiveOptions): Promise<ReceiveReport> {
  const { stripes } = options;
  if (stripes.length === 0) throw new Error('no source to fetch pieces from');
  const stats: ReceiveStats = {
    piecesReceived: 0,
    bytesReceived: 0,
    corruptPieces: 0,
    sourceSwitches: 0,
    bytesFromSource: {},
  };
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  await Promise.all(
    stripes.map((sources, stripe) =>
      receiveStripe(
        { stripe, count: stripes.length, sources, received: 0 },
        { ...options, signal },
        stats,
      ).catch((err: unknown) => {
        stop.abort(err);
        throw err;
      }),
    ),
  );
  // Pieces reach peers and the import before they reach the disk; a failed write still fails the job.
  await options.target.flush().catch((err: unknown) => {
    throw isDiskError(err) ? spoolError(options, err) : err;
  });
  const { bytesFromSource, ...counts } = stats;
  return { ...counts, bytesFromSource: { ...bytesFromSource } };
}

async function receiveStripe(stripe: Stripe, options: ReceiveOptions, stats: ReceiveStats): Promise<void> {
  const { target, signal } = options;
  const { sources } = stripe;
  const log = componentLogger(options.logger, 'piece-receiver', {
    archiveId: options.archiveId,
    ...(stripe.count > 1 ? { stripe: stripe.stripe } : {}),
  });
  const maxIdleRounds = options.maxIdleRounds ?? 3;
  let current = 0;
  let idle = 0;
  // A function, not a narrowed value: fetchFrom() completes the store behind the compiler's back.
  const complete = (): boolean => target.complete || firstMissing(target, stripe) === undefined;
  let notReadySince: number | undefined;
  while (!complete()) {
    signal.throwIfAborted();
    const source = sources[current % sources.length];
    if (source === undefined) throw new Error('no source to fetch pieces from');
    const at = source.address;
    const before = stripe.received;
    try {
      await fetchFrom(source, stripe, options, stats);
      if (!complete()) throw new SourceProblem('stream ended before the last piece');
    } catch (err) {
      // This node's own disk: another source cannot help, so no switching (and no "no source delivered").
      if (err instanceof SpoolWriteError) throw err;
      // Say why we stopped (timeout, agent stopping, another stripe failed), not what gRPC made of the cancel.
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
        { source: at, peer: source.name, problem: (err as Error).message, missing: target.missing().length },
        'switching source',
      );
      current++;
    }
    if (complete()) log.debug({ source: at, pieces: stripe.received }, 'stripe complete');
    // A full round through the sources with nothing new means none can help.
    idle = stripe.received > before ? 0 : idle + 1;
    if (!complete() && idle >= maxIdleRounds * sources.length) {
      const which = stripe.count > 1 ? ` for stripe ${stripe.stripe} of ${stripe.count}` : '';
      throw new Error(
        `no source delivered a piece${which} in ${idle} attempts (tried ${sources.map(describeSource).join(', ')})`,
      );
    }
  }
}

/** The first piece of the stripe this node does not hold yet. */
function firstMissing(target: PieceTarget, stripe: Stripe): number | undefined {
  if (stripe.count === 1) return target.missing()[0];
  return target.missing().find((index) => index % stripe.count === stripe.stripe);
}

/** `node-1 at 10.0.0.8:7480`: who was expected where, for messages. */
function describeSource(source: PieceSourceRef): string {
  return `${source.name} at ${source.address}`;
}

async function fetchFrom(
  ref: PieceSourceRef,
  stripe: Stripe,
  options: ReceiveOptions,
  stats: ReceiveStats,
): Promise<void> {
  const { target } = options;
  const { bytesFromSource } = stats;
  const source = ref.address;
  const fromPiece = firstMissing(target, stripe) ?? stripe.stripe;
  const cancel = new AbortController();
  const allocate = target.allocate?.bind(target);
  // A server that fails the TLS handshake or names another identity fails the fetch, naming both
  // identities: a source problem like any other, so the stripe moves to the next one.
  const pieces = fetchPieces(
    source,
    {
      archiveId: options.archiveId,
      fromPiece,
      stride: stripe.count,
      node: options.node,
      runId: options.runId,
    },
    {
      signal: AbortSignal.any([options.signal, cancel.signal]),
      ...(allocate === undefined ? {} : { allocate }),
      ...(options.tls === undefined ? {} : { tls: options.tls, expectedPeer: ref.name }),
    },
  );
  let stallTimer: NodeJS.Timeout | undefined;
  const watch = { stalled: false };
  const armStall = (): void => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => {
      watch.stalled = true;
      cancel.abort(new SourceProblem(`no piece from ${source} for ${options.stallMs} ms`));
    }, options.stallMs);
  };
  armStall();
  try {
    for await (const message of pieces) {
      armStall();
      const { index, data } = message;
      // Rare (a resumed or switched stripe): its buffer is left to the garbage collector.
      if (target.has(index)) continue;
      await options.maxRate?.take(data.length, options.signal);
      try {
        // Each frame arrives in a buffer of its own that nothing else holds.
        await target.write(index, data, true);
      } catch (err) {
        // A disk error (ENOSPC, EIO…) from storing a verified piece is ours, not the source's.
        if (isDiskError(err)) throw spoolError(options, err);
        if (err instanceof AirliftError) {
          stats.corruptPieces++;
          throw new SourceProblem(`piece ${index} from ${source} is corrupt: ${err.message}`);
        }
        throw err;
      }
      stats.piecesReceived++;
      // The first and last piece of a stripe, for the per-node timeline in the logs (docs/benchmarks.md).
      if (stripe.received++ === 0)
        options.logger.debug({ source, index, stripe: stripe.stripe }, 'first piece');
      stats.bytesReceived += data.length;
      bytesFromSource[source] = (bytesFromSource[source] ?? 0) + data.length;
      options.onPiece?.(index, data.length, source);
    }
  } catch (err) {
    if (err instanceof SpoolWriteError) throw err;
    if (watch.stalled) throw new SourceProblem(`no piece from ${source} for ${options.stallMs} ms`);
    if (options.signal.aborted) throw options.signal.reason;
    if (err instanceof SourceProblem) throw err;
    if ((err as { code?: unknown }).code === GrpcStatus.NOT_FOUND && stripe.received === 0) {
      throw new SourceNotReady(`${describeSource(ref)} does not serve the archive yet`);
    }
    throw new SourceProblem(`${describeSource(ref)}: ${(err as Error).message}`);
  } finally {
    clearTimeout(stallTimer);
    cancel.abort();
  }
}

/**
 * The node's spool disk failed (full, read-only, failing): the job fails at once, naming node and path.
 * Rule for the spool: after a disk-full failure the job removes this archive's partial spool files, so
 * the disk is not left full (load-images-job.ts); after any other failure they stay, for the resume.
 */
function spoolError(options: ReceiveOptions, err: unknown): SpoolWriteError {
  return new SpoolWriteError(options.node, options.target.path ?? 'the spool directory', err);
}
