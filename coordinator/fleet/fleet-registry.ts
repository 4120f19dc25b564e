import type { Logger } from 'pino';
import type { KvStore } from '../../shared/bus/bus.js';
import { Buckets, decodeMessage, heartbeatSchema } from '../../shared/control/index.js';
import type { Bus } from '../../shared/bus/bus.js';
import { classifyAgent, DEFAULT_THRESHOLDS, type AgentRow, type HealthThresholds } from './fleet-health.js';

/** The fleet as the KV registry holds it: every agent that ever announced itself, judged now. */
export class FleetRegistry {
  private constructor(
    private readonly kv: KvStore,
    private readonly thresholds: HealthThresholds,
    private readonly logger?: Logger,
  ) {}

  /** Opens the fleet bucket on the bus (created if this is the first process to use it). */
  static async open(bus: Bus, thresholds = DEFAULT_THRESHOLDS, logger?: Logger): Promise<FleetRegistry> {
    return new FleetRegistry(await bus.kv(Buckets.fleet, { history: 5 }), thresholds, logger);
  }

  /** Every agent, sorted by node name; malformed entries are skipped and logged. */
  async list(now = Date.now()): Promise<AgentRow[]> {
    const rows: AgentRow[] = [];
    for (const key of [...new Set(await this.kv.keys())].sort()) {
      const row = await this.get(key, now);
      if (row !== undefined) rows.push(row);
    }
    return rows;
  }

  /** One agent, or undefined if it never announced itself. */
  async get(node: string, now = Date.now()): Promise<AgentRow | undefined> {
    const entry = await this.kv.get(node);
    if (entry === undefined) return undefined;
    try {
      return classifyAgent(
        decodeMessage(heartbeatSchema, `${Buckets.fleet}/${node}`, entry.value),
        now,
        this.thresholds,
      );
    } catch (err) {
      this.logger?.warn({ node, err: (err as Error).message }, 'skipping a malformed fleet entry');
      return undefined;
    }
  }
}
