import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

import type { Logger } from 'pino';

import { JobGate } from '../../../agent/daemon/job-gate.js';
import { jobEventPublisher } from '../../../agent/daemon/job-events.js';
import { JobProgress } from '../../../agent/daemon/job-progress.js';
import { SeenJobs } from '../../../agent/daemon/seen-jobs.js';
import { connectBus } from '../../../shared/bus/index.js';
import type { Bus, BusSubscription, KvStore } from '../../../shared/bus/bus.js';
import { resolveTrust, type CliOutput } from '../../../shared/cli/index.js';
import {
  Buckets,
  Subjects,
  heartbeatSchema,
  type Heartbeat,
  type LoadImagesJob,
  type JobAck,
  type JobEventBody,
} from '../../../shared/control/index.js';
import type { NodeLoadReport } from '../../../shared/node-job/index.js';
import type { Sealer } from '../../../shared/trust/index.js';
import { seal } from '../../../shared/trust/index.js';
import { AIRLIFT_VERSION } from '../../../shared/version.js';
import { epochNow, type AgentCounters, type JobTiming } from './worker-protocol.js';

/** How one simulated agent runs. */
export interface SimAgentSettings {
  readonly identityFile: string;
  readonly natsUrl: string;
  readonly heartbeatMs: number;
  /** Between the ack and the report; no data moves. */
  readonly jobMs: number;
  readonly spoolRoot: string;
  /** Shared by every agent of a worker. */
  readonly counters: AgentCounters;
  /** Every job's timing, appended to by every agent of a worker. */
  readonly jobs: JobTiming[];
  readonly logger: Logger;
}

const GiB = 2 ** 30;
const NO_OUTPUT: CliOutput = { out: () => undefined, err: () => undefined };

/**
 * An agent without a runtime or a data plane: it connects exactly as `airlift agent` does (its own
 * identity: nkey, inbox prefix, fleet CA), heartbeats signed into the fleet bucket opened bind-only,
 * checks each job with the real JobGate (coordinator signature, node, freshness, replay) and answers
 * with a signed ack, then publishes the signed events a real job publishes and a report in which every
 * reference of the job's plan is verified. Nothing is fetched or imported: control plane only.
 */
export class SimAgent {
  private timer: NodeJS.Timeout | undefined;
  private jobs: BusSubscription | undefined;
  private beating: Promise<void> = Promise.resolve();
  private state: Heartbeat['state'] = 'ready';
  private progress: JobProgress | undefined;
  private timing: JobTiming | undefined;
  private readonly bootId = randomUUID();
  private readonly startedAt = new Date().toISOString();
  private readonly refusals: { total: number; last?: { at: string; reason: string } } = { total: 0 };

  private constructor(
    private readonly node: string,
    private readonly settings: SimAgentSettings,
    private readonly bus: Bus,
    private readonly fleet: KvStore,
    private readonly gate: JobGate,
    private readonly sealer: Sealer,
    private readonly grpcAddress: string,
  ) {}

  /** Connects, binds the fleet bucket, subscribes to its job subject and stores its first heartbeat. */
  static async start(settings: SimAgentSettings, index: number): Promise<SimAgent> {
    const setup = await resolveTrust(
      { identity: settings.identityFile, nats: settings.natsUrl },
      'agent',
      'airlift-agent',
      NO_OUTPUT,
      {},
    );
    const identity = setup.identity;
    if (identity === undefined) throw new Error(`${settings.identityFile}: no identity loaded`);
    const node = identity.name;
    const log = settings.logger.child({ node });
    const gate = new JobGate(
      node,
      setup.trust.policy,
      await SeenJobs.open(join(settings.spoolRoot, node), log),
    );
    const bus = await connectBus(
      { ...setup.nats, name: `airlift-agent/${node}`, waitOnFirstConnect: true },
      log,
    );
    try {
      const fleet = await bus.kv(Buckets.fleet, { bind: true });
      // A unique, never dialled address: nothing fetches in this bench.
      const address = `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}:7443`;
      const agent = new SimAgent(node, settings, bus, fleet, gate, setup.trust.sealer, address);
      agent.listen();
      await agent.beat();
      agent.timer = setInterval(() => void agent.beat(), settings.heartbeatMs);
      return agent;
    } catch (err) {
      await bus.drain();
      throw err;
    }
  }

  /** Stops heartbeating and answering, and closes the connection. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.jobs?.unsubscribe();
    await this.beating;
    await this.bus.drain();
  }

  private listen(): void {
    this.jobs = this.bus.subscribe(Subjects.job(this.node), (message) => {
      const timing: JobTiming = { node: this.node, receivedAt: epochNow(), respondedAt: 0, reportedAt: 0 };
      this.timing = timing;
      void this.accept(message.data).then((ack) => {
        message.respond(seal('ack', ack, this.sealer));
        timing.respondedAt = epochNow();
        this.settings.jobs.push(timing);
        if (ack.accepted) this.settings.counters.jobsAccepted++;
        else this.settings.counters.jobsRefused++;
      });
    });
  }

  private async accept(data: Uint8Array): Promise<JobAck> {
    const bootId = this.bootId;
    const refuse = (jobId: string, reason: string): JobAck => {
      this.refusals.total++;
      this.refusals.last = { at: new Date().toISOString(), reason };
      this.settings.logger.warn({ node: this.node, jobId, reason }, 'job refused');
      return { v: 1, jobId, node: this.node, accepted: false, reason, bootId };
    };
    const verdict = await this.gate.check(data);
    if (!verdict.ok) return refuse(verdict.jobId, verdict.reason);
    if (this.state !== 'ready') return refuse(verdict.job.jobId, `agent is ${this.state}`);
    const job = verdict.job;
    if (job.kind !== 'load-images')
      return refuse(job.jobId, 'the simulated agent only runs load-images jobs');
    this.state = 'busy';
    // As the daemon: the job starts while the ack goes out, its first event after it.
    setTimeout(() => {
      this.runJob(job);
    }, 0);
    return { v: 1, jobId: job.jobId, node: this.node, accepted: true, bootId };
  }

  /** The events of a load-images job that verified every reference, in the real job's order. */
  private runJob(job: LoadImagesJob): void {
    const started = performance.now();
    const { archive, plan } = job.payload;
    const publish = jobEventPublisher(job, this.node, this.sealer, (subject, data) => {
      this.bus.publish(subject, data);
    });
    const emit = (body: JobEventBody): void => {
      publish(body);
      this.settings.counters.eventsPublished++;
    };
    const progress = new JobProgress(job.jobId, job.runId, archive.size, emit);
    this.progress = progress;
    progress.enter('loading');
    setTimeout(() => {
      progress.bytes(archive.size);
      progress.enter('verifying');
      const totalMs = Math.round(performance.now() - started);
      const report: NodeLoadReport = {
        node: this.node,
        runtime: {
          kind: 'containerd',
          version: '1.7.27',
          endpoint: '/run/containerd/containerd.sock',
          namespace: 'k8s.io',
        },
        bytesLoaded: archive.size,
        loadMs: totalMs,
        totalMs,
        images: plan.entries.map((entry) => ({ ...entry, loaded: true, retagged: true, verified: true })),
        ok: true,
      };
      progress.enter('done');
      emit({ type: 'report', report });
      if (this.timing !== undefined) this.timing.reportedAt = epochNow();
      this.settings.counters.reports++;
      this.progress = undefined;
      this.state = 'ready';
      void this.beat();
    }, this.settings.jobMs);
  }

  /** One heartbeat at a time, in order, as the daemon sends them. */
  private beat(): Promise<void> {
    this.beating = this.beating.then(() => this.beatOnce());
    return this.beating;
  }

  private async beatOnce(): Promise<void> {
    const progress = this.progress?.snapshot();
    const heartbeat: Heartbeat = heartbeatSchema.parse({
      v: 1,
      node: this.node,
      agentVersion: AIRLIFT_VERSION,
      startedAt: this.startedAt,
      sentAt: new Date().toISOString(),
      intervalMs: this.settings.heartbeatMs,
      state: this.state,
      runtime: {
        kind: 'containerd',
        version: '1.7.27',
        endpoint: '/run/containerd/containerd.sock',
        namespace: 'k8s.io',
        ok: true,
      },
      disk: { path: '/var/lib/containerd', freeBytes: 180 * GiB, totalBytes: 400 * GiB },
      spool: { path: '/var/lib/airlift/spool', freeBytes: 180 * GiB, totalBytes: 400 * GiB },
      bootId: this.bootId,
      trust: 'signed',
      refusals: { ...this.refusals },
      grpcAddress: this.grpcAddress,
      ...(progress === undefined ? {} : { job: progress }),
    });
    const bytes = seal('heartbeat', heartbeat, this.sealer);
    try {
      this.bus.publish(Subjects.heartbeat(this.node), bytes);
      await this.fleet.put(this.node, bytes);
      this.settings.counters.heartbeats++;
    } catch (err) {
      this.settings.counters.heartbeatFailures++;
      this.settings.logger.warn({ node: this.node, err: (err as Error).message }, 'heartbeat not stored');
    }
  }
}
