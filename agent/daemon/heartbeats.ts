import type { Logger } from 'pino';
import type { Bus, KvStore } from '../../shared/bus/bus.js';
import { Subjects, heartbeatSchema, type Heartbeat } from '../../shared/control/index.js';
import { seal, type TrustContext } from '../../shared/trust/index.js';
import { AIRLIFT_VERSION } from '../../shared/version.js';
import type { ContainerRuntime } from '../runtime/index.js';
import type { JobSnapshot } from './job-progress.js';
import { diskFacts, runtimeFacts } from './node-facts.js';

/** How often the heartbeat asks the runtime whether it answers (a failed probe is retried next beat). */
const RUNTIME_PROBE_MS = 10_000;

/** What a heartbeat says that changes as the agent runs. */
export interface AgentView {
  readonly state: Heartbeat['state'];
  readonly grpcAddress: string;
  readonly refusals: Heartbeat['refusals'];
  readonly job: JobSnapshot | undefined;
}

/** The fixed facts and I/O a heartbeat needs. */
export interface HeartbeatSetup {
  readonly node: string;
  readonly intervalMs: number;
  readonly dataDir: string;
  readonly spoolDir: string;
  readonly bootId: string;
  readonly startedAt: string;
  readonly trust: TrustContext;
  readonly runtime: ContainerRuntime;
  /** Least time between two runtime probes (default 10 s). */
  readonly runtimeProbeMs?: number;
  readonly view: () => AgentView;
  readonly logger: Logger;
}

/**
 * The agent's signed heartbeats: published for live watchers and put under the node's key in the
 * fleet registry. One at a time and in order (a late `draining` must never land after `stopped`), and
 * coalesced: beats asked for while one is in flight become one fresh beat after it. After a NATS
 * outage the timer's beats and the `reconnected` one would otherwise queue behind puts that wait out
 * their timeout, and the coordinator would see a live node fall silent.
 */
export class Heartbeats {
  private bus: Bus | undefined;
  private fleet: KvStore | undefined;
  private beating: Promise<void> | undefined;
  private beatWanted = false;
  private lastRuntime: { at: number; facts: Heartbeat['runtime'] } | undefined;
  private lastStoredAt: number | undefined;

  constructor(private readonly setup: HeartbeatSetup) {}

  /** How old the last stored heartbeat and the runtime's last answer are (for /healthz and /metrics). */
  freshness(): {
    heartbeatAgeMs: number | undefined;
    runtime: { ageMs: number; ok: boolean } | undefined;
  } {
    const now = performance.now();
    const runtime = this.lastRuntime;
    return {
      heartbeatAgeMs: this.lastStoredAt === undefined ? undefined : now - this.lastStoredAt,
      runtime: runtime === undefined ? undefined : { ageMs: now - runtime.at, ok: runtime.facts.ok },
    };
  }

  /** Where beats go, once connected. */
  attach(bus: Bus, fleet: KvStore): void {
    this.bus = bus;
    this.fleet = fleet;
  }

  /** Sends a heartbeat (coalesced with any in flight); resolves once one sent after this call is stored. */
  beat(): Promise<void> {
    this.beatWanted = true;
    this.beating ??= (async () => {
      try {
        while (this.beatWanted) {
          this.beatWanted = false;
          await this.beatOnce();
        }
      } finally {
        this.beating = undefined;
      }
    })();
    return this.beating;
  }

  /**
   * A job that just talked to the runtime counts as a probe: at N nodes finishing together, N probes
   * would compete with the last verifications.
   */
  runtimeAnswered(facts: Heartbeat['runtime']): void {
    this.lastRuntime = { at: performance.now(), facts };
  }

  /**
   * The runtime's facts, probed at most every RUNTIME_PROBE_MS (when containerd was asked through a
   * ctr process, a probe each heartbeat took a third of a small node's CPU; Docker's and containerd's
   * APIs are cheaper, but a node has better uses for its CPU). While a job runs the job itself proves
   * the runtime answers, so the last facts stand.
   */
  private async runtimeFactsNow(state: Heartbeat['state']): Promise<Heartbeat['runtime']> {
    const now = performance.now();
    const last = this.lastRuntime;
    const fresh =
      last !== undefined &&
      (now - last.at < (this.setup.runtimeProbeMs ?? RUNTIME_PROBE_MS) ||
        (state === 'busy' && last.facts.ok));
    if (fresh && state !== 'draining' && state !== 'stopped') return last.facts;
    const facts = await runtimeFacts(this.setup.runtime, Math.min(3000, this.setup.intervalMs));
    this.lastRuntime = { at: now, facts };
    return facts;
  }

  private async beatOnce(): Promise<void> {
    if (this.bus === undefined || this.fleet === undefined) return;
    const { setup } = this;
    try {
      const view = setup.view();
      const heartbeat: Heartbeat = heartbeatSchema.parse({
        v: 1,
        node: setup.node,
        agentVersion: AIRLIFT_VERSION,
        startedAt: setup.startedAt,
        sentAt: new Date().toISOString(),
        intervalMs: setup.intervalMs,
        state: view.state,
        runtime: await this.runtimeFactsNow(view.state),
        disk: await diskFacts(setup.dataDir),
        spool: await diskFacts(setup.spoolDir),
        bootId: setup.bootId,
        trust: setup.trust.insecure ? 'insecure' : 'signed',
        refusals: { ...view.refusals },
        grpcAddress: view.grpcAddress,
        ...(view.job === undefined ? {} : { job: view.job }),
      });
      const bytes = seal('heartbeat', heartbeat, setup.trust.sealer);
      this.bus.publish(Subjects.heartbeat(setup.node), bytes);
      // A put the server never answers must not outlive the next beat.
      await this.fleet.put(setup.node, bytes, {
        timeoutMs: Math.max(1000, Math.min(setup.intervalMs, 5000)),
      });
      this.lastStoredAt = performance.now();
    } catch (err) {
      // The control plane may be away; nats reconnects by itself and the next beat gets through. A
      // signed agent may not create the registry bucket: until the coordinator has, puts find no stream.
      setup.logger.warn(
        {
          err: (err as Error).message,
          ...(setup.trust.insecure
            ? {}
            : {
                hint: 'if this persists, run `airlift status` on the spark node once: it creates the registry',
              }),
        },
        'heartbeat not stored',
      );
    }
  }
}
