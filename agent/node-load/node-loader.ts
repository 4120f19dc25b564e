import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { AirliftError } from '../../shared/errors/index.js';
import { componentLogger } from '../../shared/logging/index.js';
import type {
  ImageLoadOutcome,
  NodeLoadReport,
  RetagPlan,
  RetagPlanEntry,
} from '../../shared/node-job/index.js';
import type { ContainerRuntime, LoadHints, LoadResult, RuntimeImage, RuntimeInfo } from '../runtime/index.js';

/** Progress of a node job, for CLIs and (later) the control plane. */
export type NodeLoadEvent =
  | { readonly phase: 'load'; readonly bytes: number }
  | { readonly phase: 'skip'; readonly reason: string }
  | { readonly phase: 'retag'; readonly source: string; readonly target: string }
  | { readonly phase: 'verify'; readonly outcome: ImageLoadOutcome };

/**
 * What a load imports: one stream; one stream with what the job knows of its images beforehand (a
 * runtime that imports while bytes arrive unpacks each layer as it lands); or parts imported one after
 * another, each opened when its turn comes (a staged import: the first images unpack while the rest
 * still arrive).
 */
export type ArchiveImport =
  | Readable
  | { readonly stream: Readable; readonly hints: LoadHints }
  | { readonly parts: readonly (() => Readable | Promise<Readable>)[] };

/** Inputs of one node job. */
export interface NodeLoadJob {
  readonly node: string;
  readonly runtime: ContainerRuntime;
  readonly plan: RetagPlan;
  /** Opens images.tar's bytes in a form this runtime imports; called only when a load is needed. */
  readonly openArchive: (runtime: ContainerRuntime['kind']) => ArchiveImport;
  /** Skip the load when every target is already present with the right image (idempotent re-runs). */
  readonly skipIfVerified?: boolean;
  readonly signal?: AbortSignal;
  readonly logger?: Logger;
  readonly onEvent?: (event: NodeLoadEvent) => void;
}

/**
 * Loads the archive into the node's runtime as a stream, retags every reference per the plan and
 * verifies each target points at the archive's image. Never throws for image problems: the report says.
 */
export async function runNodeLoad(job: NodeLoadJob): Promise<NodeLoadReport> {
  const started = performance.now();
  const log =
    job.logger === undefined ? undefined : componentLogger(job.logger, 'node-load', { node: job.node });
  let info: RuntimeInfo;
  try {
    info = await job.runtime.info(job.signal);
  } catch (err) {
    return failedReport(job, started, err, {
      kind: job.runtime.kind,
      version: 'unknown',
      endpoint: 'unreachable',
    });
  }
  const runtime = {
    kind: info.kind,
    version: info.version,
    endpoint: info.endpoint,
    ...(info.namespace === undefined ? {} : { namespace: info.namespace }),
  };
  try {
    const before =
      job.skipIfVerified === true && job.plan.entries.length > 0 ? await targetsNow(job) : undefined;
    if (before !== undefined && allVerified(job, before)) {
      job.onEvent?.({ phase: 'skip', reason: 'every target is already present with the right image' });
      log?.info('every image already verified; load skipped');
      const images = job.plan.entries.map((entry) =>
        verifyEntry(entry, before.get(entry.target), true, true),
      );
      return report(job, runtime, started, 0, 0, images);
    }
    const loadResult = await importArchive(job, job.openArchive(job.runtime.kind), log);
    job.onEvent?.({ phase: 'load', bytes: loadResult.bytes });
    log?.info({ bytes: loadResult.bytes, ms: loadResult.durationMs }, 'archive loaded');
    // The job's manifest usually makes the import name every target already; then one listing
    // verifies them all. Only targets still missing or wrong cost a tag call and a second listing.
    // All nodes verify in the same few seconds, so each asks its runtime as little as it can.
    let targets = await targetsNow(job);
    const problems = new Map<RetagPlanEntry, string>();
    const retagged = new Set<RetagPlanEntry>();
    let tagged = 0;
    for (const entry of job.plan.entries) {
      if (entry.source === entry.target || isVerified(entry, targets.get(entry.target))) {
        retagged.add(entry);
        continue;
      }
      job.onEvent?.({ phase: 'retag', source: entry.source, target: entry.target });
      tagged++;
      try {
        await job.runtime.tag(entry.source, entry.target, job.signal);
        retagged.add(entry);
      } catch (err) {
        problems.set(entry, messageOf(err));
      }
    }
    if (tagged > 0) targets = await targetsNow(job);
    // Only when a tag failed does a listing of its source tell "not delivered" from "tag failed".
    const present =
      problems.size === 0
        ? undefined
        : await job.runtime.inspectAll(
            [...problems.keys()].map((e) => e.source),
            job.signal,
          );
    const loaded = (entry: RetagPlanEntry, found: RuntimeImage | undefined): boolean =>
      entry.source === entry.target
        ? found !== undefined
        : retagged.has(entry) || present?.has(entry.source) === true;
    const images: ImageLoadOutcome[] = job.plan.entries.map((entry) => {
      const found = targets.get(entry.target);
      const outcome = verifyEntry(
        entry,
        found,
        loaded(entry, found),
        retagged.has(entry),
        loaded(entry, found) ? problems.get(entry) : undefined,
      );
      job.onEvent?.({ phase: 'verify', outcome });
      return outcome;
    });
    return report(job, runtime, started, loadResult.bytes, loadResult.durationMs, images);
  } catch (err) {
    log?.warn({ code: err instanceof AirliftError ? err.code : 'UNEXPECTED' }, 'node load failed');
    return failedReport(job, started, err, runtime);
  }
}

// Parts run in order, each to its end (unpacked) before the next: a failed part fails the load.
async function importArchive(
  job: NodeLoadJob,
  archive: ArchiveImport,
  log: Logger | undefined,
): Promise<LoadResult> {
  if ('stream' in archive) return job.runtime.load(archive.stream, job.signal, archive.hints);
  if (!('parts' in archive)) return job.runtime.load(archive, job.signal);
  const started = performance.now();
  const loaded: string[] = [];
  let bytes = 0;
  for (const [index, open] of archive.parts.entries()) {
    const part = await job.runtime.load(await open(), job.signal);
    log?.debug(
      { part: index + 1, of: archive.parts.length, bytes: part.bytes, ms: part.durationMs },
      'import part loaded',
    );
    loaded.push(...part.loaded);
    bytes += part.bytes;
  }
  return { loaded, bytes, durationMs: Math.round(performance.now() - started) };
}

// One listing for all targets: per-reference queries cost a process start each on containerd.
function targetsNow(job: NodeLoadJob): Promise<Map<string, RuntimeImage>> {
  return job.runtime.inspectAll(
    job.plan.entries.map((e) => e.target),
    job.signal,
  );
}

function allVerified(job: NodeLoadJob, targets: ReadonlyMap<string, RuntimeImage>): boolean {
  return job.plan.entries.every((entry) => isVerified(entry, targets.get(entry.target)));
}

function isVerified(entry: RetagPlanEntry, found: RuntimeImage | undefined): boolean {
  return found?.configDigest === entry.configDigest && found.usable;
}

function verifyEntry(
  entry: RetagPlanEntry,
  found: RuntimeImage | undefined,
  loaded: boolean,
  retagged: boolean,
  problem?: string,
): ImageLoadOutcome {
  const verified = found?.configDigest === entry.configDigest && found.usable;
  const why =
    problem ??
    (!loaded
      ? `${entry.source} is not in the runtime after the load`
      : found === undefined
        ? `${entry.target} is missing`
        : found.configDigest !== entry.configDigest
          ? `${entry.target} points at ${found.configDigest}, expected ${entry.configDigest}`
          : verified
            ? undefined
            : `${entry.target} is present but not usable: content incomplete or not unpacked (the load failed part-way; run again)`);
  return {
    ...entry,
    loaded,
    retagged,
    verified,
    ...(found !== undefined && !verified ? { foundDigest: found.configDigest } : {}),
    ...(why === undefined ? {} : { problem: why }),
  };
}

function report(
  job: NodeLoadJob,
  runtime: NodeLoadReport['runtime'],
  started: number,
  bytesLoaded: number,
  loadMs: number,
  images: ImageLoadOutcome[],
): NodeLoadReport {
  return {
    node: job.node,
    runtime,
    bytesLoaded,
    loadMs,
    totalMs: Math.round(performance.now() - started),
    images,
    ok: images.length > 0 && images.every((image) => image.verified),
  };
}

function failedReport(
  job: NodeLoadJob,
  started: number,
  err: unknown,
  runtime: NodeLoadReport['runtime'],
): NodeLoadReport {
  const message = messageOf(err);
  return {
    node: job.node,
    runtime,
    bytesLoaded: 0,
    loadMs: 0,
    totalMs: Math.round(performance.now() - started),
    images: job.plan.entries.map((entry) => ({
      ...entry,
      loaded: false,
      retagged: false,
      verified: false,
      problem: message,
    })),
    ok: false,
    error: { code: err instanceof AirliftError ? err.code : 'UNEXPECTED', message },
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
