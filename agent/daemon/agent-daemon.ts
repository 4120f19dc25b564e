import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Bus, BusSubscription, KvStore } from '../../shared/bus/bus.js';
import { Buckets, Subjects, type Heartbeat, type Job, type JobAck } from '../../shared/control/index.js';
import { seal, type TrustContext } from '../../shared/trust/index.js';
import { componentLogger } from '../../shared/logging/index.js';
import type { TokenBucket } from '../async/index.js';
import type { DataPlaneTls } from '../../shared/data-plane/index.js';
import type { AgentHealthView } from '../health/index.js';
import type { NodeLoadReport } from '../../shared/node-job/index.js';
import type { ContainerRuntime } from '../runtime/index.js';
import type { JobProgress } from './job-progress.js';
import { JobGate, type FreshnessWindow } from './job-gate.js';
import { runLoadImagesJob } from './load-images-job.js';
import { runCheckRegistryImagesJob } from './check-registry-images-job.js';
import { SeenJobs } from './seen-jobs.js';
import { PieceShelf, type PieceRegistry } from './piece-shelf.js';
import { Heartbeats } from './heartbeats.js';

/** The agent's gRPC endpoint as the daemon sees it: it also serves the pieces this node holds. */
export interface AgentEndpoint extends PieceRegistry {
  /** Starts serving; resolves with the host:port others reach it at. */
  start(): Promise<string>;
  stop(): Promise<void>;
}

/** Resolved agent settings (see agent-options.ts for defaults and the YAML form). */
export interface AgentDaemonSettings {
  readonly node: string;
  readonly heartbeatIntervalMs: number;
  /** Directory whose filesystem receives images; its free space is reported. */
  readonly dataDir: string;
  /** How long stop() waits for a running job before aborting it. */
  readonly drainTimeoutMs: number;
  /** Where pieces of the archive in transfer are kept (resume after a restart, serving peers). */
  readonly spoolDir: string;
  /** No piece from a source for this long: switch to the next source. */
  readonly stallMs: number;
  /** `--max-rate`: bytes per second this node receives. */
  readonly maxRate?: TokenBucket;
  /** Least time between two runtime probes of the heartbeat (default 10 s). */
  readonly runtimeProbeMs?: number;
  /** Mutual TLS on the data plane (this node's certificate); absent: plaintext (`--insecure`). */
  readonly dataPlaneTls?: DataPlaneTls;
  /** How this agent signs what it sends and which job signatures it accepts. */
  readonly trust: TrustContext;
  /** How old (or how far ahead) a job may be; default 10 minutes old, 2 minutes ahead. */
  readonly jobWindow?: FreshnessWindow;
}

/** The agent's I/O, injected so the daemon's logic can be tested and composed. */
export interface AgentDaemonDeps {
  /** Connects to NATS, waiting for it if need be; `signal` (stop() called meanwhile) ends the wait. */
  readonly connect: (signal: AbortSignal) => Promise<Bus>;
  readonly runtime: ContainerRuntime;
  readonly endpoint: AgentEndpoint;
  readonly logger: Logger;
}

/**
 * `airlift agent`: announces the node and heartbeats its facts into the fleet registry, serves its
 * gRPC endpoint, and runs the typed jobs addressed to it, one at a time.
 */
export class AgentDaemon {
  private bus: Bus | undefined;
  private fleet: KvStore | undefined;
  private jobs: BusSubscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private grpcAddress = '';
  private state: Heartbeat['state'] = 'ready';
  private current:
    { progress: JobProgress | undefined; done: Promise<unknown>; abort: AbortController } | undefined;
  private stopping: Promise<void> | undefined;
  private starting: Promise<boolean> | undefined;
  private stopRequested = false;
  private readonly startAbort = new AbortController();
  /** New at every process start: the coordinator tells a restarted agent from a running one by it. */
  private readonly bootId = randomUUID();
  private readonly heartbeats: Heartbeats;
  private readonly refusals: { total: number; last?: { at: string; reason: string } } = { total: 0 };
  private gate: JobGate | undefined;
  /** Connected to NATS now, as `bus.onStatus` last said (for /healthz). */
  private busUp = false;
  /** Transfer totals over the jobs run, for /metrics. */
  private readonly received = { bytes: 0, pieces: 0, corruptPieces: 0 };
  private lastJob: AgentHealthView['lastJob'];
  private readonly log: Logger;
  private readonly shelf: PieceShelf;

  constructor(
    private readonly settings: AgentDaemonSettings,
    private readonly deps: AgentDaemonDeps,
  ) {
    this.log = componentLogger(deps.logger, 'agent', { node: settings.node });
    this.shelf = new PieceShelf(settings.spoolDir, deps.endpoint, this.log);
    this.heartbeats = new Heartbeats({
      node: settings.node,
      intervalMs: settings.heartbeatIntervalMs,
      dataDir: settings.dataDir,
      spoolDir: settings.spoolDir,
      bootId: this.bootId,
      startedAt: new Date().toISOString(),
      trust: settings.trust,
      runtime: deps.runtime,
      ...(settings.runtimeProbeMs === undefined ? {} : { runtimeProbeMs: settings.runtimeProbeMs }),
      view: () => ({
        state: this.state,
        grpcAddress: this.grpcAddress,
        refusals: this.refusals,
        job: this.current?.progress?.snapshot(),
      }),
      logger: this.log,
    });
  }

  private beat(): Promise<void> {
    return this.heartbeats.beat();
  }

  /**
   * Connects, serves, subscribes to jobs and sends the first heartbeat before resolving true. stop()
   * may be called at any time, also while start() still waits for NATS: start() then resolves false.
   * When start fails it releases what it had opened (the gRPC port, the runtime) before rejecting, so
   * the process can exit.
   */
  start(): Promise<boolean> {
    this.starting ??= this.startUp().then(
      () => !this.stopRequested,
      async (err: unknown) => {
        if (this.stopRequested) return false;
        this.stopping ??= this.release();
        await this.stopping;
        throw err;
      },
    );
    return this.starting;
  }

  private async startUp(): Promise<void> {
    this.gate = new JobGate(
      this.settings.node,
      this.settings.trust.policy,
      await SeenJobs.open(this.settings.spoolDir, this.log),
      this.settings.jobWindow,
    );
    this.grpcAddress = await this.deps.endpoint.start();
    this.startAbort.signal.throwIfAborted();
    this.bus = await this.deps.connect(this.startAbort.signal);
    if (this.stopRequested) return;
    this.busUp = true;
    this.bus.onStatus((status) => {
      this.busUp = status === 'reconnected';
      if (status === 'reconnecting') return;
      this.log.info({ status, server: this.bus?.server }, 'control plane connection');
      // What was published during the outage is lost: say at once that this node is back.
      if (status === 'reconnected') void this.beat();
    });
    // A signed agent may only put its own key: the coordinator creates the bucket.
    this.fleet = await this.bus.kv(
      Buckets.fleet,
      this.settings.trust.insecure ? { history: 5 } : { bind: true },
    );
    this.heartbeats.attach(this.bus, this.fleet);
    this.jobs = this.bus.subscribe(Subjects.job(this.settings.node), (message) => {
      void this.accept(message.data).then((ack) => {
        message.respond(seal('ack', ack, this.settings.trust.sealer));
      });
    });
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.settings.heartbeatIntervalMs);
    this.log.info({ grpc: this.grpcAddress, server: this.bus.server }, 'agent started');
  }

  /** Drains: refuses new jobs, lets the running one finish (bounded), says goodbye, disconnects. Idempotent. */
  stop(): Promise<void> {
    this.stopRequested = true;
    this.startAbort.abort(new Error('agent stopping'));
    this.stopping ??= this.drain();
    return this.stopping;
  }

  /** A read-only view of what the daemon tracks, for /healthz and /metrics; never calls the runtime. */
  healthView(): AgentHealthView {
    const job = this.current?.progress?.snapshot();
    return {
      state: this.state,
      busConnected: this.busUp && this.state !== 'stopped',
      ...this.heartbeats.freshness(),
      refusalsTotal: this.refusals.total,
      job:
        job === undefined
          ? undefined
          : {
              phase: job.phase,
              bytesDone: job.bytesDone,
              seconds: Math.max(0, (Date.now() - Date.parse(job.startedAt)) / 1000),
            },
      received: { ...this.received },
      lastJob: this.lastJob,
    };
  }

  /** The job in hand, if any (for tests and status). */
  get busy(): boolean {
    return this.current !== undefined;
  }

  private async drain(): Promise<void> {
    // A start still under way ends at its next step (or its wait for NATS is cut short) first.
    await this.starting?.catch(() => false);
    this.state = 'draining';
    this.jobs?.unsubscribe();
    await this.beat();
    const running = this.current;
    if (running !== undefined) {
      this.log.info(
        { timeoutMs: this.settings.drainTimeoutMs },
        'waiting for the running job before stopping',
      );
      const finished = await Promise.race([
        running.done.then(() => true),
        new Promise<false>((resolve) => {
          setTimeout(() => {
            resolve(false);
          }, this.settings.drainTimeoutMs).unref();
        }),
      ]);
      if (!finished) {
        this.log.warn('running job did not finish in time; aborting it');
        running.abort.abort(new Error('agent stopping'));
        await running.done;
      }
    }
    clearInterval(this.timer);
    this.state = 'stopped';
    await this.beat();
    await this.release();
  }

  /** Closes the spool, the gRPC endpoint, the bus and the runtime; each only if it was opened. */
  private async release(): Promise<void> {
    clearInterval(this.timer);
    await this.shelf.close();
    await this.deps.endpoint.stop();
    await this.bus?.drain();
    await this.deps.runtime.close();
    this.log.info('agent stopped');
  }

  /** Checks a job message and starts it, or says why not; every refusal is logged and counted. */
  private async accept(data: Uint8Array): Promise<JobAck> {
    const node = this.settings.node;
    const bootId = this.bootId;
    const refuse = (jobId: string, reason: string): JobAck => {
      this.refusals.total++;
      this.refusals.last = { at: new Date().toISOString(), reason };
      this.log.warn({ jobId, reason }, 'job refused');
      return { v: 1, jobId, node, accepted: false, reason, bootId };
    };
    if (this.gate === undefined) return refuse('unknown', 'agent is starting');
    const verdict = await this.gate.check(data);
    if (!verdict.ok) return refuse(verdict.jobId, verdict.reason);
    const job = verdict.job;
    if (this.state !== 'ready') return refuse(job.jobId, `agent is ${this.state}`);
    if (this.current !== undefined)
      return refuse(job.jobId, `busy with job ${this.current.progress?.jobId ?? '?'}`);
    this.runJob(job);
    this.log.info({ jobId: job.jobId, runId: job.runId }, 'job accepted');
    return { v: 1, jobId: job.jobId, node, accepted: true, bootId };
  }

  /** Runs an accepted job in the background; the slot frees when it ends, however it ends. */
  private runJob(job: Job): void {
    const node = this.settings.node;
    const abort = new AbortController();
    const slot: NonNullable<AgentDaemon['current']> = { progress: undefined, abort, done: Promise.resolve() };
    this.current = slot;
    this.state = 'busy';
    // At once, not at the next beat: `airlift status` (and whoever waits for an idle node) sees the job.
    void this.beat();
    const startedAt = performance.now();
    const publish = (s: string, d: Uint8Array): void => this.bus?.publish(s, d);
    const onProgress = (progress: JobProgress): void => {
      slot.progress = progress;
    };
    const running =
      job.kind === 'check-registry-images'
        ? runCheckRegistryImagesJob(
            job,
            {
              node,
              runtime: this.deps.runtime,
              publish,
              sealer: this.settings.trust.sealer,
              logger: this.log,
            },
            abort.signal,
            onProgress,
          )
        : runLoadImagesJob(
            job,
            {
              node,
              runtime: this.deps.runtime,
              shelf: this.shelf,
              stallMs: this.settings.stallMs,
              ...(this.settings.maxRate === undefined ? {} : { maxRate: this.settings.maxRate }),
              ...(this.settings.dataPlaneTls === undefined
                ? {}
                : { dataPlaneTls: this.settings.dataPlaneTls }),
              publish,
              sealer: this.settings.trust.sealer,
              logger: this.log,
            },
            abort.signal,
            onProgress,
          );
    slot.done = running
      .then((report) => {
        this.countJob(report, startedAt);
        // A job that succeeded just talked to the runtime: the heartbeat after it need not probe again
        // (at N nodes finishing together, N probe processes would compete with the last verifications).
        if (report.ok) {
          const { version, endpoint, namespace } = report.runtime;
          const facts = { kind: this.deps.runtime.kind, version, endpoint, ok: true };
          this.heartbeats.runtimeAnswered(namespace === undefined ? facts : { ...facts, namespace });
        }
      })
      .catch((err: unknown) => {
        this.log.error({ err, jobId: job.jobId }, 'job crashed');
        this.lastJob = { ok: false, seconds: (performance.now() - startedAt) / 1000 };
      })
      .finally(() => {
        this.current = undefined;
        if (this.state === 'busy') this.state = 'ready';
        void this.beat();
      });
  }

  /** Adds a finished job's transfer to the totals /metrics reports. */
  private countJob(report: NodeLoadReport, startedAt: number): void {
    const transfer = report.transfer;
    if (transfer !== undefined) {
      this.received.bytes += transfer.bytesReceived;
      this.received.pieces += transfer.piecesReceived;
      this.received.corruptPieces += transfer.corruptPieces;
    }
    this.lastJob = { ok: report.ok, seconds: (performance.now() - startedAt) / 1000 };
  }
}
