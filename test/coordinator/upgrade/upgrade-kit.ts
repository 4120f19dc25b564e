import { FleetRegistry } from '../../../coordinator/fleet/index.js';
import {
  distribute,
  type DistributeInput,
  type NodeOutcome,
} from '../../../coordinator/upgrade/distribute.js';
import { RunStore } from '../../../coordinator/upgrade/run-store.js';
import type { KvStore } from '../../../shared/bus/bus.js';
import {
  Buckets,
  Subjects,
  decodeMessage,
  jobSchema,
  runStateSchema,
  type Heartbeat,
  type Job,
  type JobEvent,
  type JobEventBody,
  type RunState,
} from '../../../shared/control/index.js';
import { silentLogger } from '../../../shared/logging/index.js';
import { openMessage, seal } from '../../../shared/trust/index.js';
import { TestKeys } from '../../helpers/test-keys.js';
import { MemoryNats, type MemoryBus } from '../../helpers/memory-bus.js';
import { heartbeat, payload, report, runState, wirePayload } from '../../shared/control/control-fixtures.js';

export const RUN_ID = 'r20260101-000000-abcd';

/** What a scripted agent can do with a job it received. */
export interface AgentMoves {
  readonly job: Job;
  /** Publishes one event about this job (numbered in order). */
  event(body: JobEventBody, overrides?: Partial<JobEvent>): void;
  /** The usual story: loading, progress, verifying, done, then the report. */
  succeed(): void;
  fail(): void;
}

/** How a scripted agent answers a job: accept (then play `then`), refuse with a reason, or stay silent. */
export type AgentScript =
  | { readonly ack: 'accept'; readonly then?: (moves: AgentMoves) => void }
  | { readonly ack: 'refuse'; readonly reason: string }
  | { readonly ack: 'ignore' };

/** A MemoryNats with a coordinator connection, one connection for all fake agents, and the fleet bucket. */
export class FleetKit {
  readonly nats = new MemoryNats();
  readonly coordinator: MemoryBus = this.nats.connect('coordinator');
  readonly agents: MemoryBus = this.nats.connect('agents');
  readonly jobs: Job[] = [];
  readonly keys = new TestKeys();
  /** Each node's agent process: a heartbeat with another bootId is a restarted agent. */
  readonly bootIds = new Map<string, string>();
  fleetKv!: KvStore;

  async open(): Promise<this> {
    this.fleetKv = await this.agents.kv(Buckets.fleet, { history: 5 });
    return this;
  }

  /** Stores a heartbeat for `node`, sent now unless overridden. */
  async beat(node: string, overrides: Partial<Heartbeat> = {}): Promise<void> {
    const bootId = this.bootIds.get(node) ?? `boot-${node}`;
    await this.fleetKv.put(node, this.sealAs(node, 'heartbeat', heartbeat({ node, bootId, ...overrides })));
  }

  /** Signs `message` with `node`'s key, as that node's agent would. */
  sealAs(node: string, purpose: 'ack' | 'event' | 'heartbeat', message: unknown): Uint8Array {
    return seal(purpose, message, this.keys.agentTrust(node).sealer);
  }

  /** Opens a job as `node`'s agent would (signature checked), without the freshness and replay checks. */
  openJob(node: string, data: Uint8Array): Job {
    return openMessage(jobSchema, 'job', Subjects.job(node), data, this.keys.agentTrust(node).policy).message;
  }

  /** A healthy heartbeat and a job subscription that plays `script`. */
  async agent(node: string, script: AgentScript): Promise<void> {
    await this.beat(node);
    this.agents.subscribe(Subjects.job(node), (message) => {
      const job = this.openJob(node, message.data);
      this.jobs.push(job);
      if (script.ack === 'ignore') return;
      const accepted = script.ack === 'accept';
      message.respond(
        this.sealAs(node, 'ack', {
          v: 1,
          jobId: job.jobId,
          node,
          accepted,
          bootId: this.bootIds.get(node) ?? `boot-${node}`,
          ...(accepted ? {} : { reason: script.reason }),
        }),
      );
      if (script.ack === 'accept') script.then?.(this.moves(job, node));
    });
  }

  /** Publishes an event as `node` would, for tests that play the agent by hand. */
  publish(runId: string, node: string, data: Uint8Array): void {
    this.agents.publish(Subjects.events(runId, node), data);
  }

  moves(job: Job, node: string): AgentMoves {
    let seq = 0;
    const event = (body: JobEventBody, overrides: Partial<JobEvent> = {}): void => {
      const e: JobEvent = {
        v: 1,
        runId: job.runId,
        jobId: job.jobId,
        node,
        seq: seq++,
        at: new Date().toISOString(),
        body,
        ...overrides,
      };
      this.agents.publish(Subjects.events(e.runId, e.node), this.sealAs(node, 'event', e));
    };
    const story = (ok: boolean): void => {
      event({ type: 'phase', phase: 'loading' });
      event({ type: 'progress', bytesDone: 2048, bytesTotal: 4096, rate: 1000 });
      event({ type: 'progress', bytesDone: 4096, bytesTotal: 4096, rate: 1000 });
      event({ type: 'phase', phase: 'verifying' });
      event({ type: 'phase', phase: 'done' });
      event({ type: 'report', report: report(node, ok) });
    };
    return {
      job,
      event,
      succeed: () => {
        story(true);
      },
      fail: () => {
        story(false);
      },
    };
  }

  /** Runs distribute() for `nodes` with small timings; returns outcomes, events seen and the stored run state. */
  async distribute(
    nodes: readonly string[],
    options: Partial<
      Pick<
        DistributeInput,
        'timeoutMs' | 'ackTimeoutMs' | 'livenessCheckMs' | 'signal' | 'onNotice' | 'registryPayload'
      >
    > = {},
  ): Promise<{ outcomes: NodeOutcome[]; events: JobEvent[]; stored: RunState; store: RunStore }> {
    const logger = silentLogger();
    const store = await RunStore.create(this.coordinator, runState(nodes, { runId: RUN_ID }), logger);
    const events: JobEvent[] = [];
    const outcomes = await distribute({
      bus: this.coordinator,
      fleet: await FleetRegistry.open(this.coordinator, this.keys.coordinatorTrust().policy),
      trust: this.keys.coordinatorTrust(),
      store,
      runId: RUN_ID,
      nodes,
      payloadFor: () => wirePayload(payload()),
      timeoutMs: options.timeoutMs ?? 3000,
      ackTimeoutMs: options.ackTimeoutMs ?? 500,
      livenessCheckMs: options.livenessCheckMs ?? 20,
      signal: options.signal ?? new AbortController().signal,
      logger,
      onEvent: (e) => events.push(e),
      ...(options.onNotice === undefined ? {} : { onNotice: options.onNotice }),
      ...(options.registryPayload === undefined ? {} : { registryPayload: options.registryPayload }),
    });
    await store.flush();
    const entry = await (await this.coordinator.kv(Buckets.runs)).get(RUN_ID);
    if (entry === undefined) throw new Error('no run state stored');
    return { outcomes, events, stored: decodeMessage(runStateSchema, RUN_ID, entry.value), store };
  }
}
