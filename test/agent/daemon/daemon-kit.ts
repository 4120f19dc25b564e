import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentEndpoint } from '../../../agent/daemon/agent-daemon.js';
import { AgentDaemon } from '../../../agent/daemon/agent-daemon.js';
import type { RuntimeInfo } from '../../../agent/index.js';
import type { KvStore } from '../../../shared/bus/bus.js';
import {
  Buckets,
  Subjects,
  heartbeatSchema,
  jobAckSchema,
  jobEventSchema,
  type Heartbeat,
  type JobAck,
  type JobEvent,
} from '../../../shared/control/index.js';
import { ArchiveServer, wholeArchivePieces, type PieceSource } from '../../../shared/data-plane/index.js';
import { silentLogger } from '../../../shared/logging/index.js';
import { openMessage, seal } from '../../../shared/trust/index.js';
import { TestKeys } from '../../helpers/test-keys.js';
import { archiveIdOf, buildPieceManifest, type PieceManifest } from '../../../shared/pieces/index.js';
import { BufferByteSource } from '../../../shared/tar/index.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { FakeRuntime } from '../../helpers/fake-runtime.js';
import { MemoryNats, type MemoryBus } from '../../helpers/memory-bus.js';
import {
  PLAN,
  loadImagesJob,
  payload,
  wireJob,
  type LoadImagesJob,
} from '../../shared/control/control-fixtures.js';

/** A promise with its resolve function in hand. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Values pushed by callbacks; waitFor() finds one already there or waits for it, with a deadline. */
export class Collector<T> {
  readonly items: T[] = [];
  private readonly waiters: { match: (item: T) => boolean; resolve: (item: T) => void }[] = [];

  readonly push = (item: T): void => {
    this.items.push(item);
    for (const waiter of [...this.waiters]) {
      if (!waiter.match(item)) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(item);
    }
  };

  /** The first item from index `from` on that matches, waiting up to timeoutMs for it. */
  async waitFor(what: string, match: (item: T) => boolean, from = 0, timeoutMs = 3000): Promise<T> {
    const found = this.items.slice(from).find(match);
    if (found !== undefined) return found;
    const timer = new AbortController();
    let waiter: (typeof this.waiters)[number] | undefined;
    try {
      return await Promise.race([
        new Promise<T>((resolve) => {
          waiter = { match, resolve };
          this.waiters.push(waiter);
        }),
        sleep(timeoutMs, undefined, { signal: timer.signal }).then(() => {
          throw new Error(`no ${what} within ${timeoutMs} ms`);
        }),
      ]);
    } finally {
      timer.abort();
      if (waiter !== undefined && this.waiters.includes(waiter))
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
    }
  }
}

/** The agent's gRPC endpoint, faked: counts starts and stops, records what it was told to serve. */
export class FakeEndpoint implements AgentEndpoint {
  starts = 0;
  stops = 0;
  readonly served = new Map<string, PieceSource>();
  readonly unregistered: string[] = [];
  constructor(
    readonly address = '10.1.2.3:7443',
    private readonly stopDelayMs = 0,
  ) {}

  start(): Promise<string> {
    this.starts++;
    return Promise.resolve(this.address);
  }

  async stop(): Promise<void> {
    this.stops++;
    if (this.stopDelayMs > 0) await sleep(this.stopDelayMs);
  }

  registerPieces(archiveId: string, source: PieceSource): void {
    this.served.set(archiveId, source);
  }

  unregister(archiveId: string): boolean {
    this.unregistered.push(archiveId);
    return this.served.delete(archiveId);
  }
}

/** A FakeRuntime whose archive holds the fixture plan's images, and whose next info() can be slowed. */
export class PlanRuntime extends FakeRuntime {
  nextInfoDelayMs = 0;
  constructor() {
    super((fake) => {
      for (const entry of PLAN.entries)
        fake.images.set(entry.source, { configDigest: entry.configDigest, usable: true });
    });
  }

  override async info(): Promise<RuntimeInfo> {
    const delay = this.nextInfoDelayMs;
    this.nextInfoDelayMs = 0;
    if (delay > 0) await sleep(delay);
    return super.info();
  }
}

export const PIECE_SIZE = 256 * 1024;

/**
 * The coordinator's side of the data plane, in process: a real ArchiveServer on 127.0.0.1 offering a
 * fixture archive (2½ pieces) piece by piece; hold() makes it stop after the first piece until release().
 */
export class PieceOrigin {
  readonly bytes = Buffer.alloc(PIECE_SIZE * 2 + PIECE_SIZE / 2, 7);
  readonly server = new ArchiveServer({ logger: silentLogger(), shutdownGraceMs: 100 });
  manifest!: PieceManifest;
  address = '';
  private gate: ReturnType<typeof deferred> | undefined;

  async start(): Promise<void> {
    const source = new BufferByteSource(this.bytes, 'images.tar');
    this.manifest = await buildPieceManifest(source, PIECE_SIZE);
    const whole = wholeArchivePieces(source, PIECE_SIZE);
    this.server.registerPieces(
      archiveIdOf(this.manifest),
      {
        pieceCount: whole.pieceCount,
        piece: async (index, signal) => {
          const gate = this.gate?.promise;
          if (index > 0 && gate !== undefined) await untilAborted(gate, signal);
          return whole.piece(index, signal);
        },
      },
      { kind: 'anyone' },
    );
    this.address = await this.server.start();
  }

  hold(): void {
    this.gate = deferred();
  }

  release(): void {
    this.gate?.resolve();
    this.gate = undefined;
  }

  /** A load-images job for this archive, fetched from this server. */
  job(
    overrides: Partial<LoadImagesJob> = {},
    payloadOverrides: Partial<LoadImagesJob['payload']> = {},
  ): LoadImagesJob {
    const id = archiveIdOf(this.manifest);
    return loadImagesJob({
      ...overrides,
      payload:
        overrides.payload ??
        payload({
          archive: {
            id,
            size: this.bytes.length,
            sha256: this.manifest.sha256,
            format: 'docker-save',
            entriesEnd: this.bytes.length - 1024,
            manifest: this.manifest,
            stripes: [[{ address: this.address, name: 'coordinator' }]],
            servesTo: [],
          },
          ...payloadOverrides,
        }),
    });
  }

  async stop(): Promise<void> {
    this.release();
    await this.server.stop();
  }
}

function untilAborted(gate: Promise<void>, signal: AbortSignal): Promise<void> {
  return Promise.race([
    gate,
    new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason as Error);
      signal.addEventListener(
        'abort',
        () => {
          reject(signal.reason as Error);
        },
        { once: true },
      );
    }),
  ]);
}

export interface AgentSetup {
  readonly node?: string;
  readonly heartbeatIntervalMs?: number;
  readonly drainTimeoutMs?: number;
  readonly endpoint?: FakeEndpoint;
  readonly dataDir?: string;
  readonly runtimeProbeMs?: number;
  readonly jobWindow?: { maxAgeMs: number; maxSkewMs: number };
  /** Another harness's spool and keys: the same node, restarted. */
  readonly spool?: ReturnType<typeof makeTempDir>;
  readonly keys?: TestKeys;
}

/** One AgentDaemon on a MemoryNats, with an observer connection watching what it says. */
export class AgentHarness {
  readonly nats = new MemoryNats();
  readonly agentBus: MemoryBus = this.nats.connect('agent');
  readonly observer: MemoryBus = this.nats.connect('observer');
  readonly runtime = new PlanRuntime();
  readonly origin = new PieceOrigin();
  readonly spool: ReturnType<typeof makeTempDir>;
  readonly endpoint: FakeEndpoint;
  readonly node: string;
  readonly dataDir: string;
  readonly daemon: AgentDaemon;
  /** Every heartbeat stored in the fleet bucket for this node, in order. */
  readonly heartbeats = new Collector<Heartbeat>();
  /** Every event published for run RUN_ID. */
  readonly events = new Collector<JobEvent>();
  /** The coordinator's key the agent trusts, and the agent's own. */
  readonly keys: TestKeys;
  fleet!: KvStore;
  private watch: { stop(): void } | undefined;

  constructor(private readonly setup: AgentSetup = {}) {
    this.spool = setup.spool ?? makeTempDir('airlift-agent-spool');
    this.keys = setup.keys ?? new TestKeys();
    this.node = setup.node ?? 'node-a';
    this.endpoint = setup.endpoint ?? new FakeEndpoint();
    this.dataDir = setup.dataDir ?? join(tmpdir(), 'airlift-not-created', 'images');
    this.daemon = new AgentDaemon(
      {
        node: this.node,
        heartbeatIntervalMs: setup.heartbeatIntervalMs ?? 60_000,
        dataDir: this.dataDir,
        drainTimeoutMs: setup.drainTimeoutMs ?? 5_000,
        spoolDir: this.spool.path,
        stallMs: 10_000,
        trust: this.keys.agentTrust(this.node),
        ...(setup.runtimeProbeMs === undefined ? {} : { runtimeProbeMs: setup.runtimeProbeMs }),
        ...(setup.jobWindow === undefined ? {} : { jobWindow: setup.jobWindow }),
      },
      {
        connect: () => Promise.resolve(this.agentBus),
        runtime: this.runtime,
        endpoint: this.endpoint,
        logger: silentLogger(),
      },
    );
  }

  /** Starts the origin and the watchers, then the daemon; resolves once its first heartbeat is seen. */
  async start(): Promise<void> {
    await this.origin.start();
    this.fleet = await this.observer.kv(Buckets.fleet, { history: 5 });
    this.watch = await this.fleet.watch((entry) => {
      if (entry.key === this.node && entry.operation === 'PUT')
        this.heartbeats.push(this.open(heartbeatSchema, 'heartbeat', entry.key, entry.value));
    });
    this.observer.subscribe(Subjects.runEvents(loadImagesJob().runId), (m) => {
      this.events.push(this.open(jobEventSchema, 'event', m.subject, m.data));
    });
    await this.daemon.start();
    await this.heartbeats.waitFor('the first heartbeat', () => true);
  }

  /** The heartbeat the fleet bucket holds now. */
  async stored(): Promise<Heartbeat | undefined> {
    const entry = await this.fleet.get(this.node);
    return entry === undefined ? undefined : this.open(heartbeatSchema, 'heartbeat', this.node, entry.value);
  }

  /** Opens what the agent sent, as the coordinator does: it must be signed by this node's key. */
  open<T>(
    schema: Parameters<typeof openMessage<T>>[0],
    purpose: 'heartbeat' | 'event' | 'ack',
    subject: string,
    data: Uint8Array,
  ): T {
    const opened = openMessage(schema, purpose, subject, data, this.keys.coordinatorTrust().policy);
    if (opened.signer !== this.node) throw new Error(`${purpose} signed by ${opened.signer ?? 'nobody'}`);
    return opened.message;
  }

  /** A job for this node, signed by the coordinator key the agent trusts. */
  signedJob(job: Partial<LoadImagesJob> = {}): Uint8Array {
    return seal(
      'job',
      wireJob(this.origin.job({ node: this.node, ...job })),
      this.keys.coordinatorTrust().sealer,
    );
  }

  /** Sends a job for the origin's archive (or raw bytes) to this node's job subject; decodes the ack. */
  async send(job: Partial<LoadImagesJob> | Uint8Array, node = this.node): Promise<JobAck> {
    const data = job instanceof Uint8Array ? job : this.signedJob(job);
    const reply = await this.observer.request(Subjects.job(node), data, 1000);
    return this.open(jobAckSchema, 'ack', Subjects.job(node), reply);
  }

  /** Events of one job until its report, once the report is in. */
  async untilReport(jobId = loadImagesJob().jobId): Promise<JobEvent[]> {
    await this.events.waitFor('report', (e) => e.jobId === jobId && e.body.type === 'report');
    return this.events.items.filter((e) => e.jobId === jobId);
  }

  /** Releases any held transfer and stops the daemon (idempotent), the observer and the origin. */
  async close(): Promise<void> {
    await this.closeAllButSpool();
    await this.spool.remove();
  }

  /** Stops this agent and hands its spool and keys to a new one: the same node after a restart. */
  async restarted(): Promise<AgentHarness> {
    await this.closeAllButSpool();
    return new AgentHarness({ ...this.setup, spool: this.spool, keys: this.keys });
  }

  private async closeAllButSpool(): Promise<void> {
    this.origin.release();
    await this.daemon.stop();
    this.watch?.stop();
    await this.observer.drain();
    await this.origin.stop();
  }
}
