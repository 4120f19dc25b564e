import type { Logger } from 'pino';
import type { Bus, BusSubscription, KvStore } from '../../shared/bus/bus.js';
import {
  Buckets,
  Subjects,
  decodeMessage,
  encodeMessage,
  heartbeatSchema,
  jobSchema,
  type Heartbeat,
  type JobAck,
} from '../../shared/control/index.js';
import type { TokenBucket } from '../../shared/async/index.js';
import { AIRLIFT_VERSION } from '../../shared/version.js';
import type { ContainerRuntime } from '../runtime/index.js';
import type { JobProgress } from './job-progress.js';
import { runLoadImagesJob } from './load-images-job.js';
import { PieceShelf, type PieceRegistry } from './piece-shelf.js';
import { diskFacts, runtimeFacts } from './node-facts.js';

/** How often the heartbeat asks the runtime whether it answers (a failed probe is retried next beat). */
const RUNTIME_PROBE_MS = 10_000;

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
}

/** The agent's I/O, injected so the daemon's logic can be tested and composed. */
export interface AgentDaemonDeps {
  readonly connect: () => Promise<Bus>;
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
  private beating: Promise<void> = Promise.resolve();
  private lastRuntime: { at: number; facts: Heartbeat['runtime'] } | undefined;
  private readonly startedAt = new Date().toISOString();
  private readonly log: Logger;
  private readonly shelf: PieceShelf;

  constructor(
    private readonly settings: AgentDaemonSettings,
    private readonly deps: AgentDaemonDeps,
  ) {
    this.log = deps.logger.child({ component: 'agent', node: settings.node });
    this.shelf = new PieceShelf(settings.spoolDir, deps.endpoint, this.log);
  }

  /** Connects, serves, subscribes to jobs and sends the first heartbeat before resolving. */
  async start(): Promise<void> {
    this.grpcAddress = await this.deps.endpoint.start();
    this.bus = await this.deps.connect();
    this.bus.onStatus((status) => {
      if (status === 'reconnecting') return;
      this.log.info({ status, server: this.bus?.server }, 'control plane connection');
      // What was published during the outage is lost: say at once that this node is back.
      if (status === 'reconnected') void this.beat();
    });
    this.fleet = await this.bus.kv(Buckets.fleet, { history: 5 });
    this.jobs = this.bus.subscribe(Subjects.job(this.settings.node), (message) => {
      message.respond(encodeMessage(this.accept(message.subject, message.data)));
    });
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.settings.heartbeatIntervalMs);
    this.log.info({ grpc: this.grpcAddress, server: this.bus.server }, 'agent started');
  }

  /** Drains: refuses new jobs, lets the running one finish (bounded), says goodbye, disconnects. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.drain();
    return this.stopping;
  }

  /** The job in hand, if any (for tests and status). */
  get busy(): boolean {
    return this.current !== undefined;
  }

  private async drain(): Promise<void> {
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
    await this.shelf.close();
    await this.deps.endpoint.stop();
    await this.bus?.drain();
    await this.deps.runtime.close();
    this.log.info('agent stopped');
  }

  private accept(subject: string, data: Uint8Array): JobAck {
    const node = this.settings.node;
    let job;
    try {
      job = decodeMessage(jobSchema, subject, data);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'refusing a malformed job');
      return { v: 1, jobId: 'unknown', node, accepted: false, reason: (err as Error).message };
    }
    const refuse = (reason: string): JobAck => ({ v: 1, jobId: job.jobId, node, accepted: false, reason });
    if (job.node !== node) return refuse(`job is for node ${job.node}, this is ${node}`);
    if (this.state !== 'ready') return refuse(`agent is ${this.state}`);
    if (this.current !== undefined) return refuse(`busy with job ${this.current.progress?.jobId ?? '?'}`);
    const abort = new AbortController();
    const slot: NonNullable<AgentDaemon['current']> = { progress: undefined, abort, done: Promise.resolve() };
    this.current = slot;
    this.state = 'busy';
    slot.done = runLoadImagesJob(
      job,
      {
        node,
        runtime: this.deps.runtime,
        shelf: this.shelf,
        stallMs: this.settings.stallMs,
        ...(this.settings.maxRate === undefined ? {} : { maxRate: this.settings.maxRate }),
        publish: (s, d) => this.bus?.publish(s, d),
        logger: this.log,
      },
      abort.signal,
      (progress) => (slot.progress = progress),
    )
      .then((report) => {
        // A job that succeeded just talked to the runtime: the heartbeat after it need not probe again
        // (at N nodes finishing together, N probe processes would compete with the last verifications).
        if (report.ok) {
          const { version, endpoint, namespace } = report.runtime;
          const facts = { kind: this.deps.runtime.kind, version, endpoint, ok: true };
          this.lastRuntime = {
            at: performance.now(),
            facts: namespace === undefined ? facts : { ...facts, namespace },
          };
        }
      })
      .catch((err: unknown) => {
        this.log.error({ err, jobId: job.jobId }, 'job crashed');
      })
      .finally(() => {
        this.current = undefined;
        if (this.state === 'busy') this.state = 'ready';
        void this.beat();
      });
    this.log.info({ jobId: job.jobId, runId: job.runId }, 'job accepted');
    return { v: 1, jobId: job.jobId, node, accepted: true };
  }

  /** Heartbeats one at a time, in order: a late `draining` must never land after `stopped`. */
  private beat(): Promise<void> {
    this.beating = this.beating.then(() => this.beatOnce());
    return this.beating;
  }

  /**
   * The runtime's facts, probed at most every RUNTIME_PROBE_MS (when containerd was asked through a
   * ctr process, a probe each heartbeat took a third of a small node's CPU; Docker's and containerd's
   * APIs are cheaper, but a node has better uses for its CPU). While a job runs the job itself proves
   * the runtime answers, so the last facts stand; a job that succeeded counts as a probe.
   */
  private async runtimeFactsNow(): Promise<Heartbeat['runtime']> {
    const now = performance.now();
    const last = this.lastRuntime;
    const fresh =
      last !== undefined &&
      (now - last.at < (this.settings.runtimeProbeMs ?? RUNTIME_PROBE_MS) ||
        (this.state === 'busy' && last.facts.ok));
    if (fresh && this.state !== 'draining' && this.state !== 'stopped') return last.facts;
    const facts = await runtimeFacts(this.deps.runtime, Math.min(3000, this.settings.heartbeatIntervalMs));
    this.lastRuntime = { at: now, facts };
    return facts;
  }

  private async beatOnce(): Promise<void> {
    if (this.bus === undefined || this.fleet === undefined) return;
    try {
      const progress = this.current?.progress?.snapshot();
      const heartbeat: Heartbeat = heartbeatSchema.parse({
        v: 1,
        node: this.settings.node,
        agentVersion: AIRLIFT_VERSION,
        startedAt: this.startedAt,
        sentAt: new Date().toISOString(),
        intervalMs: this.settings.heartbeatIntervalMs,
        state: this.state,
        runtime: await this.runtimeFactsNow(),
        disk: await diskFacts(this.settings.dataDir),
        grpcAddress: this.grpcAddress,
        ...(progress === undefined ? {} : { job: progress }),
      });
      const bytes = encodeMessage(heartbeat);
      this.bus.publish(Subjects.heartbeat(this.settings.node), bytes);
      await this.fleet.put(this.settings.node, bytes);
    } catch (err) {
      // The control plane may be away; nats reconnects by itself and the next beat gets through.
      this.log.warn({ err: (err as Error).message }, 'heartbeat not stored');
    }
  }
}
