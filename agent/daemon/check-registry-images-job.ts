import type { Logger } from 'pino';
import type { Job, RegistryAccess, RegistryImage } from '../../shared/control/index.js';
import { AirliftError, ErrorCode } from '../../shared/errors/index.js';
import { componentLogger } from '../../shared/logging/index.js';
import type { ImageLoadOutcome, NodeLoadReport } from '../../shared/node-job/index.js';
import { tryParseReference } from '../../shared/reference/index.js';
import type { Sealer } from '../../shared/trust/index.js';
import type { ContainerRuntime, RegistryPullOptions, RuntimeInfo } from '../runtime/index.js';
import { jobEventPublisher } from './job-events.js';
import { JobProgress } from './job-progress.js';

/** Where containerd's per-registry hosts.toml files live when the job names no other directory. */
export const DEFAULT_HOSTS_DIR = '/etc/containerd/certs.d';

/** Dependencies of a check-registry-images job. */
export interface CheckRegistryImagesJobDeps {
  readonly node: string;
  readonly runtime: ContainerRuntime;
  readonly publish: (subject: string, data: Uint8Array) => void;
  /** Signs every event as this node's own. */
  readonly sealer: Sealer;
  readonly logger: Logger;
}

type CheckRegistryImagesJob = Extract<Job, { kind: 'check-registry-images' }>;

/**
 * Runs one check-registry-images job: asks the node's runtime to resolve every reference at its
 * registry (with `prePull`, to pull it and verify its config digest too), and reports per image.
 * The report is a NodeLoadReport, so the coordinator's progress and barrier treat it like a load.
 */
export async function runCheckRegistryImagesJob(
  job: CheckRegistryImagesJob,
  deps: CheckRegistryImagesJobDeps,
  signal: AbortSignal,
  onProgress: (progress: JobProgress) => void,
): Promise<NodeLoadReport> {
  const log = componentLogger(deps.logger, 'check-registry-images-job', {
    node: deps.node,
    jobId: job.jobId,
    runId: job.runId,
  });
  const { images, prePull, access, timeoutMs } = job.payload;
  const emit = jobEventPublisher(job, deps.node, deps.sealer, deps.publish);
  const progress = new JobProgress(job.jobId, job.runId, 0, emit);
  onProgress(progress);
  const started = performance.now();
  const jobAbort = new AbortController();
  const onOuterAbort = (): void => {
    jobAbort.abort(signal.reason);
  };
  signal.addEventListener('abort', onOuterAbort, { once: true });
  if (signal.aborted) onOuterAbort();
  const timer = setTimeout(() => {
    jobAbort.abort(new Error(`the job ran past its ${Math.round(timeoutMs / 1000)} s timeout`));
  }, timeoutMs);
  let report: NodeLoadReport;
  try {
    report = await checkAll();
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onOuterAbort);
  }
  progress.enter('done');
  emit({ type: 'report', report });
  log.info({ ok: report.ok, images: images.length, prePull, ms: report.totalMs }, 'job finished');
  return report;

  async function checkAll(): Promise<NodeLoadReport> {
    const base = { node: deps.node, bytesLoaded: 0 };
    let info: RuntimeInfo;
    try {
      info = await deps.runtime.info(jobAbort.signal);
    } catch (err) {
      return {
        ...base,
        runtime: { kind: deps.runtime.kind, version: 'unknown', endpoint: 'unknown' },
        loadMs: 0,
        totalMs: elapsed(),
        images: images.map((image) => outcome(image, { problem: 'the runtime does not answer' })),
        ok: false,
        error: errorOf(err),
      };
    }
    progress.enter(prePull ? 'loading' : 'verifying');
    const outcomes: ImageLoadOutcome[] = [];
    for (const image of images) {
      outcomes.push(await checkImage(deps.runtime, image, access, prePull, jobAbort.signal));
      log.debug({ outcome: outcomes.at(-1) }, 'image checked');
    }
    const loadMs = elapsed();
    if (prePull) progress.enter('verifying');
    const ok = outcomes.every((o) => o.verified);
    return {
      ...base,
      runtime: info.namespace === undefined ? { ...info } : { ...info, namespace: info.namespace },
      loadMs,
      totalMs: elapsed(),
      images: outcomes,
      ok,
      ...(jobAbort.signal.aborted ? { error: errorOf(jobAbort.signal.reason) } : {}),
    };
  }

  function elapsed(): number {
    return Math.round(performance.now() - started);
  }
}

/**
 * One image: resolve it at its registry; with prePull, pull it and check what the runtime then holds
 * (present, unpacked, the bundle's config digest). Every failure becomes the image's named problem.
 */
export async function checkImage(
  runtime: ContainerRuntime,
  image: RegistryImage,
  access: RegistryAccess,
  prePull: boolean,
  signal: AbortSignal,
): Promise<ImageLoadOutcome> {
  const { reference, configDigest: expected } = image;
  if (runtime.resolve === undefined || runtime.pull === undefined) {
    return outcome(image, { problem: `the ${runtime.kind} runtime cannot pull from a registry` });
  }
  const options = pullOptions(reference, access, runtime.kind);
  let manifestDigest: string;
  try {
    signal.throwIfAborted();
    const resolved = await runtime.resolve(reference, options, signal);
    manifestDigest = resolved.digest;
    if (expected !== undefined && resolved.configDigest !== undefined && resolved.configDigest !== expected) {
      return outcome(image, {
        resolved: true,
        manifestDigest,
        foundDigest: resolved.configDigest,
        problem: `the registry holds another image under ${reference}: config ${resolved.configDigest}, the bundle has ${expected}`,
      });
    }
  } catch (err) {
    return outcome(image, { resolved: false, problem: problemOf(err) });
  }
  if (!prePull) return outcome(image, { resolved: true, manifestDigest, verified: true });
  try {
    await runtime.pull(reference, options, signal);
  } catch (err) {
    return outcome(image, { resolved: true, manifestDigest, pulled: false, problem: problemOf(err) });
  }
  return verifyPulled(runtime, image, manifestDigest, signal);
}

async function verifyPulled(
  runtime: ContainerRuntime,
  image: RegistryImage,
  manifestDigest: string,
  signal: AbortSignal,
): Promise<ImageLoadOutcome> {
  const pulled = { resolved: true, manifestDigest, pulled: true, loaded: true };
  let held;
  try {
    held = await runtime.inspect(image.reference, signal);
  } catch (err) {
    return outcome(image, { ...pulled, problem: problemOf(err) });
  }
  if (held === undefined) {
    return outcome(image, { ...pulled, problem: `the runtime has no ${image.reference} after the pull` });
  }
  if (image.configDigest !== undefined && held.configDigest !== image.configDigest) {
    return outcome(image, {
      ...pulled,
      foundDigest: held.configDigest,
      problem: `pulled ${image.reference} is config ${held.configDigest}, the bundle has ${image.configDigest}`,
    });
  }
  if (!held.usable) {
    return outcome(image, { ...pulled, problem: `pulled ${image.reference} is incomplete or not unpacked` });
  }
  return outcome(image, { ...pulled, verified: true, configDigest: held.configDigest });
}

/** plain HTTP for the hosts the job names; containerd's hosts directory for the rest (mirrors, CAs, auth). */
function pullOptions(reference: string, access: RegistryAccess, kind: string): RegistryPullOptions {
  const parsed = tryParseReference(reference);
  const host = parsed.ok ? parsed.ref.registry : '';
  const plainHttp = access.plainHttp.includes(host);
  if (kind !== 'containerd') return { plainHttp };
  return { plainHttp, hostsDir: access.hostsDir ?? DEFAULT_HOSTS_DIR };
}

function outcome(
  image: RegistryImage,
  fields: Partial<Omit<ImageLoadOutcome, 'source' | 'target'>>,
): ImageLoadOutcome {
  return {
    source: image.reference,
    target: image.reference,
    configDigest: image.configDigest ?? 'unknown',
    loaded: false,
    retagged: false,
    verified: false,
    ...fields,
  };
}

function problemOf(err: unknown): string {
  if (err instanceof AirliftError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

function errorOf(err: unknown): { code: string; message: string } {
  if (err instanceof AirliftError) return { code: err.code, message: err.message };
  return { code: ErrorCode.RuntimeUnavailable, message: err instanceof Error ? err.message : String(err) };
}
