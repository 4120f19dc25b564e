import type { Logger } from 'pino';
import type { Bus, KvEntry } from '../../shared/bus/bus.js';
import { Buckets, decodeMessage, runStateSchema } from '../../shared/control/index.js';
import type { TrustPolicy } from '../../shared/trust/index.js';
import { FleetRegistry } from '../fleet/index.js';
import type { FleetModel } from './fleet-model.js';

/** How often the whole registry is read again, so nodes removed with `airlift node forget` disappear. */
export const DEFAULT_RESYNC_MS = 15_000;

/** What the watches need. */
export interface FleetWatchInput {
  readonly bus: Bus;
  /** Heartbeats count only when signed by the node they describe, as this says. */
  readonly policy: TrustPolicy;
  readonly model: FleetModel;
  readonly logger: Logger;
  readonly resyncMs?: number;
}

/**
 * Feeds the model from NATS: every agent's heartbeat as the fleet registry stores it (forged or
 * malformed ones are skipped by the registry), and every record of the runs bucket (the run state the
 * coordinator writes). Resolves once the current values were passed; stop() ends both watches.
 */
export async function watchFleet(input: FleetWatchInput): Promise<{ stop(): void }> {
  const { bus, model, logger } = input;
  const log = logger.child({ component: 'serve-watch' });
  const registry = await FleetRegistry.open(bus, input.policy, undefined, log);
  const fleet = await registry.watch((row) => {
    model.applyHeartbeat(row.heartbeat);
  });
  const stops: (() => void)[] = [
    () => {
      fleet.stop();
    },
  ];
  try {
    // Same settings as the run store, so whichever process comes first makes the bucket the same way.
    const runs = await bus.kv(Buckets.runs, { history: 64 });
    const watch = await runs.watch((entry) => {
      applyRunEntry(model, entry, log);
    });
    stops.push(() => {
      watch.stop();
    });
  } catch (err) {
    fleet.stop();
    throw err;
  }
  const resync = setInterval(() => {
    registry.list().then(
      (rows) => {
        model.replaceFleet(rows.map((row) => row.heartbeat));
      },
      (err: unknown) => {
        log.warn({ err: (err as Error).message }, 'could not read the fleet registry; trying again later');
      },
    );
  }, input.resyncMs ?? DEFAULT_RESYNC_MS);
  resync.unref();
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(resync);
      for (const stop of stops) stop();
    },
  };
}

/** One change of the runs bucket; a record that does not parse is logged and skipped. */
function applyRunEntry(model: FleetModel, entry: KvEntry, log: Logger): void {
  if (entry.operation !== 'PUT') {
    model.forgetRun(entry.key);
    return;
  }
  try {
    model.applyRun(decodeMessage(runStateSchema, `${Buckets.runs}/${entry.key}`, entry.value));
  } catch (err) {
    log.warn({ runId: entry.key, err: (err as Error).message }, 'skipping a run record');
  }
}
