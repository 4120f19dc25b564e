import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import {
  Subjects,
  encodeMessage,
  type Job,
  type JobEvent,
  type JobEventBody,
} from '../../shared/control/index.js';
import { loadableArchiveStream } from '../../shared/image-archive/index.js';
import type { NodeLoadReport } from '../../shared/node-job/index.js';
import { runNodeLoad } from '../node-load/index.js';
import type { ContainerRuntime } from '../runtime/index.js';
import { JobProgress } from './job-progress.js';

/** What the job needs to fetch images.tar; the daemon passes the gRPC fetcher. */
export interface ArchiveFetchSpec {
  readonly address: string;
  readonly archiveId: string;
  readonly size: number;
  readonly sha256: string;
  readonly node: string;
  readonly runId: string;
  readonly signal: AbortSignal;
  readonly onProgress: (bytesDone: number) => void;
}

/** Dependencies of a load-images job, all I/O behind small seams. */
export interface LoadImagesJobDeps {
  readonly node: string;
  readonly runtime: ContainerRuntime;
  readonly fetchArchive: (spec: ArchiveFetchSpec) => Readable;
  readonly publish: (subject: string, data: Uint8Array) => void;
  readonly logger: Logger;
}

type LoadImagesJob = Extract<Job, { kind: 'load-images' }>;

/**
 * Runs one load-images job: streams images.tar from the data plane straight into the runtime,
 * retags and verifies per the job's plan, publishing phase/progress events and the final report.
 */
export async function runLoadImagesJob(
  job: LoadImagesJob,
  deps: LoadImagesJobDeps,
  signal: AbortSignal,
  onProgress: (progress: JobProgress) => void,
): Promise<NodeLoadReport> {
  const log = deps.logger.child({
    component: 'load-images-job',
    node: deps.node,
    jobId: job.jobId,
    runId: job.runId,
  });
  const { archive, plan, skipIfVerified, timeoutMs } = job.payload;
  let seq = 0;
  const emit = (body: JobEventBody): void => {
    const event: JobEvent = {
      v: 1,
      runId: job.runId,
      jobId: job.jobId,
      node: deps.node,
      seq: seq++,
      at: new Date().toISOString(),
      body,
    };
    deps.publish(Subjects.events(job.runId, deps.node), encodeMessage(event));
  };
  const progress = new JobProgress(job.jobId, job.runId, archive.size, emit);
  onProgress(progress);
  const jobSignal = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  const report = await runNodeLoad({
    node: deps.node,
    runtime: deps.runtime,
    plan,
    skipIfVerified,
    signal: jobSignal,
    logger: log,
    openArchive: (kind) => {
      // Transfer and import are one streamed step: bytes go into the runtime as they arrive.
      progress.enter('loading');
      return loadableArchiveStream(
        deps.fetchArchive({
          address: archive.source.grpcAddress,
          archiveId: archive.id,
          size: archive.size,
          sha256: archive.sha256,
          node: deps.node,
          runId: job.runId,
          signal: jobSignal,
          onProgress: (bytes) => {
            progress.bytes(bytes);
          },
        }),
        archive,
        kind,
      );
    },
    onEvent: (event) => {
      if (event.phase === 'load' || event.phase === 'skip') progress.enter('verifying');
    },
  });
  progress.enter('done');
  emit({ type: 'report', report });
  log.info({ ok: report.ok, bytes: report.bytesLoaded, ms: report.totalMs }, 'job finished');
  return report;
}
