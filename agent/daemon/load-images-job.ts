import type { Logger } from 'pino';
import type { TokenBucket } from '../async/index.js';
import type { Job } from '../../shared/control/index.js';
import { ErrorCode, SpoolWriteError } from '../../shared/errors/index.js';
import { componentLogger } from '../../shared/logging/index.js';
import type { Sealer } from '../../shared/trust/index.js';
import { importPartStream, loadableArchiveStream } from '../../shared/image-archive/index.js';
import type { NodeLoadReport } from '../../shared/node-job/index.js';
import type { ArchiveAccess, DataPlaneTls } from '../../shared/data-plane/index.js';
import { receivePieces, type ReceiveReport } from '../data-plane/index.js';
import { runNodeLoad } from '../node-load/index.js';
import type { ContainerRuntime } from '../runtime/index.js';
import { jobEventPublisher } from './job-events.js';
import { JobProgress } from './job-progress.js';
import type { PieceShelf } from './piece-shelf.js';

/** Dependencies of a load-images job, all I/O behind small seams. */
export interface LoadImagesJobDeps {
  readonly node: string;
  readonly runtime: ContainerRuntime;
  readonly shelf: PieceShelf;
  readonly publish: (subject: string, data: Uint8Array) => void;
  /** Signs every event as this node's own, so no other node can report for it. */
  readonly sealer: Sealer;
  /** No piece from a source for this long: switch to the next source. */
  readonly stallMs: number;
  /** `--max-rate`: bytes per second this node receives. */
  readonly maxRate?: TokenBucket;
  /**
   * Mutual TLS on the data plane: sources must prove they are who the job names, and only the job's
   * `servesTo` nodes may fetch from this one. Absent: plaintext, anyone may fetch (`--insecure`).
   */
  readonly dataPlaneTls?: DataPlaneTls;
  readonly logger: Logger;
}

type LoadImagesJob = Extract<Job, { kind: 'load-images' }>;

/**
 * Runs one load-images job: fetches the archive piece by piece (checking each, switching sources when
 * one fails) into the on-disk store, which it also serves to peers, while the runtime imports the
 * verified pieces in order as they arrive; then retags and verifies per the plan and reports.
 */
export async function runLoadImagesJob(
  job: LoadImagesJob,
  deps: LoadImagesJobDeps,
  signal: AbortSignal,
  onProgress: (progress: JobProgress) => void,
): Promise<NodeLoadReport> {
  const log = componentLogger(deps.logger, 'load-images-job', {
    node: deps.node,
    jobId: job.jobId,
    runId: job.runId,
  });
  const { archive, plan, skipIfVerified, timeoutMs } = job.payload;
  const emit = jobEventPublisher(job, deps.node, deps.sealer, deps.publish);
  const progress = new JobProgress(job.jobId, job.runId, archive.size, emit);
  onProgress(progress);
  // Not AbortSignal.timeout inside AbortSignal.any: on Node 20 the GC can collect that timer (nodejs/node#57736).
  const jobAbort = new AbortController();
  const onOuterAbort = (): void => {
    jobAbort.abort(signal.reason);
  };
  signal.addEventListener('abort', onOuterAbort, { once: true });
  if (signal.aborted) onOuterAbort();
  const jobTimer = setTimeout(() => {
    jobAbort.abort(new Error(`the job ran past its ${Math.round(timeoutMs / 1000)} s timeout`));
  }, timeoutMs);
  const jobSignal = jobAbort.signal;
  try {
    return await runJob();
  } finally {
    clearTimeout(jobTimer);
    signal.removeEventListener('abort', onOuterAbort);
  }

  async function runJob(): Promise<NodeLoadReport> {
    // The agent's own CPU per stage, for the log: what a node pays per job (see docs/benchmarks.md).
    const cpuAtStart = process.cpuUsage();
    let cpuAtLoaded: NodeJS.CpuUsage | undefined;
    const store = await deps.shelf.open(archive.manifest);
    const resumedPieces = store.count;
    let receiveError: Error | undefined;
    const pieceSize = archive.manifest.pieceSize;
    // What an earlier attempt left counts as received: a spool already complete is importing at once.
    if (resumedPieces > 0) progress.bytes(Math.min(archive.size, resumedPieces * pieceSize));
    // A skip stops the transfer; a failed transfer stops the import.
    const receiveAbort = new AbortController();
    const importAbort = new AbortController();
    const importSignal = AbortSignal.any([jobSignal, importAbort.signal]);
    // Plaintext identifies nobody, so there it cannot hold anyone back either.
    const access: ArchiveAccess =
      deps.dataPlaneTls === undefined
        ? { kind: 'anyone' }
        : { kind: 'nodes', names: new Set(archive.servesTo) };
    deps.shelf.serve(store, access);
    // The transfer starts with the job, not after the pre-import check: when N nodes start together
    // that check's ctr process can take most of a second, and in a chain every node downstream would
    // inherit the delay. A node that then finds every image verified stops it, a few pieces in.
    const receiving: Promise<ReceiveReport> = receivePieces({
      archiveId: archive.id,
      stripes: archive.stripes,
      node: deps.node,
      runId: job.runId,
      target: store,
      signal: AbortSignal.any([jobSignal, receiveAbort.signal]),
      stallMs: deps.stallMs,
      logger: log,
      onPiece: () => {
        progress.bytes(Math.min(archive.size, store.count * pieceSize));
      },
      ...(deps.maxRate === undefined ? {} : { maxRate: deps.maxRate }),
      ...(deps.dataPlaneTls === undefined ? {} : { tls: deps.dataPlaneTls }),
    });
    receiving.catch((err: unknown) => {
      receiveError = err as Error;
      importAbort.abort(err);
    });
    const report = await runNodeLoad({
      node: deps.node,
      runtime: deps.runtime,
      plan,
      skipIfVerified,
      signal: jobSignal,
      logger: log,
      openArchive: (kind) => {
        // Transfer and import are one streamed step: the runtime reads verified pieces as they land.
        // The last piece turns `loading` into `importing` (JobProgress), whichever importer runs.
        progress.enter('loading');
        const manifest = archive.dockerManifest;
        if (
          deps.runtime.importsWhileArriving === true &&
          archive.format === 'go-containerregistry' &&
          manifest !== undefined
        ) {
          // The runtime stores each blob and unpacks each layer as its pieces land, knowing the images
          // from the job: the whole archive from its first piece, no staged parts.
          return { stream: store.stream(0, importSignal), hints: { manifest } };
        }
        const parts = archive.importParts;
        if (parts !== undefined) {
          // A part is handed to the runtime once all its bytes are held, not as they trickle in: ctr
          // and docker read a whole import stream before they unpack any of it, so streaming a part
          // gains only its copy into the content store, and an import process that lives through the
          // transfer reading a slow pipe costs far more CPU (measured: docs/architecture.md, "Staged
          // import"). The next part still arrives while this one imports.
          return {
            parts: parts.map((part) => async () => {
              for (const span of part.spans) await store.waitForRange(span.offset, span.length, importSignal);
              return importPartStream(part, (span) =>
                store.streamRange(span.offset, span.length, importSignal),
              );
            }),
          };
        }
        return loadableArchiveStream(store.stream(0, importSignal), archive, kind);
      },
      onEvent: (event) => {
        if (event.phase === 'load') cpuAtLoaded = process.cpuUsage(cpuAtStart);
        if (event.phase === 'skip') receiveAbort.abort(new Error('every image is already verified here'));
        if (event.phase === 'load' || event.phase === 'skip') progress.enter('verifying');
      },
    });
    // A node that skipped the load can still feed peers if an earlier run left the whole archive here;
    // one that ends without it says so at once to a peer that asks, rather than keep it waiting.
    if (store.complete) deps.shelf.serve(store, access);
    else deps.shelf.serveHeld(store, access);
    const transfer = await receiving.catch(() => undefined);
    // The spool rule: a full spool disk fails the job at once (it is no source's fault) and this
    // archive's partial files are removed, so the node's disk is not left full; after any other
    // failure they stay, and a resumed job continues from them.
    let spoolNote = '';
    if (receiveError instanceof SpoolWriteError && receiveError.diskFull) {
      spoolNote = await deps.shelf.discard(store).then(
        () => `; the partial spool files of this archive were removed (${store.path})`,
        (err: unknown) =>
          `; removing the partial spool files (${store.path}) failed too: ${(err as Error).message}`,
      );
    }
    const final: NodeLoadReport = {
      ...report,
      ...(transfer === undefined
        ? {}
        : { transfer: { ...transfer, bytesFromSource: { ...transfer.bytesFromSource }, resumedPieces } }),
      ...(receiveError !== undefined && !report.ok
        ? {
            error:
              receiveError instanceof SpoolWriteError
                ? { code: receiveError.code, message: `${receiveError.message}${spoolNote}` }
                : {
                    code: ErrorCode.ArchiveFetchFailed,
                    message: `fetching images.tar failed: ${receiveError.message}`,
                  },
          }
        : {}),
    };
    progress.enter('done');
    emit({ type: 'report', report: final });
    const cpu = process.cpuUsage(cpuAtStart);
    const ms = (usage: NodeJS.CpuUsage): number => Math.round((usage.user + usage.system) / 1000);
    log.info(
      {
        ok: final.ok,
        bytes: final.bytesLoaded,
        ms: final.totalMs,
        corrupt: transfer?.corruptPieces ?? 0,
        cpuMs: ms(cpu),
        ...(cpuAtLoaded === undefined ? {} : { cpuLoadMs: ms(cpuAtLoaded) }),
        memory: memoryFigures(),
      },
      'job finished',
    );
    return final;
  }
}

/** Where the process's memory is, in MiB, for the job's log line: peak RSS, and today's RSS by kind. */
function memoryFigures(): Record<string, number> {
  const mib = (bytes: number): number => Math.round(bytes / 1024 / 1024);
  const now = process.memoryUsage();
  return {
    peakRss: Math.round(process.resourceUsage().maxRSS / 1024),
    rss: mib(now.rss),
    heapUsed: mib(now.heapUsed),
    heapTotal: mib(now.heapTotal),
    arrayBuffers: mib(now.arrayBuffers),
  };
}
