import type { Logger } from 'pino';
import type { Bus, KvEntry, KvStore } from '../../shared/bus/bus.js';
import { Buckets, heartbeatSchema } from '../../shared/control/index.js';
import { openMessage, type TrustPolicy } from '../../shared/trust/index.js';
import { classifyAgent, DEFAULT_THRESHOLDS, type AgentRow, type HealthThresholds } from './fleet-health.js';

/** The fleet as the KV registry holds it: every agent that ever announced itself, judged now. */
export class FleetRegistry {
  private constructor(
    private readonly kv: KvStore,
    private readonly policy: TrustPolicy,
    private readonly thresholds: HealthThresholds,
    private readonly logger?: Logger,
  ) {}

  /**
   * Opens the fleet bucket on the bus (created if this is the first process to use it). Heartbeats
   * count only when signed by the node they describe, as `policy` says.
   */
  static async open(
    bus: Bus,
    policy: TrustPolicy,
    thresholds = DEFAULT_THRESHOLDS,
    logger?: Logger,
  ): Promise<FleetRegistry> {
    return new FleetRegistry(await bus.kv(Buckets.fleet, { history: 5 }), policy, thresholds, logger);
  }

  /** Every agent, sorted by node name; malformed or forged entries are skipped and logged. */
  async list(now = Date.now()): Promise<AgentRow[]> {
    // One watch replays every current value in a single stream: at 1,000 agents, a get per key would
    // be 1,000 round trips.
    const latest = new Map<string, KvEntry>();
    const watch = await this.kv.watch((entry) => {
      if (entry.operation === 'PUT') latest.set(entry.key, entry);
      else latest.delete(entry.key);
    });
    watch.stop();
    const rows: AgentRow[] = [];
    for (const key of [...latest.keys()].sort()) {
      const entry = latest.get(key);
      const row = entry === undefined ? undefined : this.judge(entry, now);
      if (row !== undefined) rows.push(row);
    }
    return rows;
  }

  /** One agent, or undefined if it never announced itself (or its entry is not its own). */
  async get(node: string, now = Date.now()): Promise<AgentRow | undefined> {
    const entry = await this.kv.get(node);
    return entry === undefined ? undefined : this.judge(entry, now);
  }

  /**
   * Removes a node's entry so a gone node stops showing up and stops blocking `--nodes all`; resolves
   * false when there was nothing to remove. An agent that still runs re-announces itself on its next beat.
   */
  async forget(node: string): Promise<boolean> {
    if ((await this.kv.get(node)) === undefined) return false;
    await this.kv.delete(node);
    return true;
  }

  /**
   * Calls `onRow` for every agent's current heartbeat, then for each new one as it is stored (judged at
   * arrival); resolves once the current ones were passed. stop() ends it. With `only`, entries of other
   * nodes are dropped before their signature is checked: at 1,000 agents a run's watch otherwise spent
   * about half a CPU-second on heartbeats of nodes it no longer follows (npm run bench:control-plane).
   */
  async watch(onRow: (row: AgentRow) => void, only?: (node: string) => boolean): Promise<{ stop(): void }> {
    return this.kv.watch((entry) => {
      if (entry.operation !== 'PUT' || only?.(entry.key) === false) return;
      const row = this.judge(entry, Date.now());
      if (row !== undefined) onRow(row);
    });
  }

  private judge(entry: KvEntry, now: number): AgentRow | undefined {
    const where = `${Buckets.fleet}/${entry.key}`;
    try {
      const { message, signer } = openMessage(heartbeatSchema, 'heartbeat', where, entry.value, this.policy);
      // The key, the heartbeat's node and its signer must all be the same node: no node speaks for another.
      if (
        message.node !== entry.key ||
        (signer !== undefined && this.policy.kind === 'signed' && signer !== entry.key)
      ) {
        throw new Error(`entry for ${entry.key} describes ${message.node}, signed by ${signer ?? 'nobody'}`);
      }
      return classifyAgent(message, now, this.thresholds);
    } catch (err) {
      this.logger?.warn({ node: entry.key, err: (err as Error).message }, 'skipping a fleet entry');
      return undefined;
    }
  }
}
