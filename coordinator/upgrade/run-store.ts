import type { Logger } from 'pino';
import type { Bus, KvStore } from '../../shared/bus/bus.js';
import {
  Buckets,
  encodeMessage,
  type NodeRunState,
  type RunPhase,
  type RunState,
} from '../../shared/control/index.js';

/**
 * The run's state, kept in memory and written to the runs bucket so another `airlift` process (or a
 * restarted coordinator) reads the same truth. Writes are coalesced: at most one in flight, and
 * changes are written at most every WRITE_INTERVAL_MS (flush() writes at once). At 1,000 nodes the
 * record is ~200 KB and a run makes ~6,000 changes: writing after each kept the coordinator and
 * JetStream busy with copies of a record nobody reads that often.
 */
const WRITE_INTERVAL_MS = 250;

export class RunStore {
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private lastWrite = 0;

  private constructor(
    private readonly kv: KvStore | undefined,
    private state: RunState,
    private readonly logger: Logger,
  ) {}

  /** Opens the runs bucket and stores the initial state; `bus` undefined keeps state in memory only (dry-run). */
  static async create(bus: Bus | undefined, initial: RunState, logger: Logger): Promise<RunStore> {
    const kv = bus === undefined ? undefined : await bus.kv(Buckets.runs, { history: 64 });
    // The nodes' entries are updated in place (see node()): never the caller's object.
    const state = { ...initial, nodes: { ...initial.nodes } };
    const store = new RunStore(kv, state, logger.child({ component: 'run-store', runId: initial.runId }));
    await store.flush();
    return store;
  }

  get current(): RunState {
    return this.state;
  }

  /** Moves the run to a phase (and records why it failed, for `failed`). */
  phase(phase: RunPhase, failure?: { phase: string; message: string }): void {
    this.state = { ...this.state, phase, ...(failure === undefined ? {} : { failure }) };
    this.touch();
  }

  /** Updates one node's entry. */
  node(name: string, update: Partial<NodeRunState>): void {
    const before = this.state.nodes[name];
    if (before === undefined) return;
    // In place: copying every node's entry on each of a run's ~6 updates per node made a run O(N²) —
    // about 1 CPU-second (and much GC) at 1,000 nodes, on the loop the acks wait for (bench:control-plane).
    this.state.nodes[name] = { ...before, ...update };
    this.touch();
  }

  /** Waits until the latest state is stored. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty = true;
    await this.write();
  }

  private touch(): void {
    this.dirty = true;
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastWrite + WRITE_INTERVAL_MS - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, wait);
  }

  private write(): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (!this.dirty || this.kv === undefined) return;
      this.dirty = false;
      this.lastWrite = performance.now();
      this.state = { ...this.state, updatedAt: new Date().toISOString() };
      try {
        await this.kv.put(this.state.runId, encodeMessage(this.state));
      } catch (err) {
        this.dirty = true;
        this.logger.warn(
          { err: (err as Error).message },
          'run state not stored; will retry with the next change',
        );
      }
    });
    return this.writing;
  }
}
