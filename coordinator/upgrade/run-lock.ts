import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Bus, KvStore } from '../../shared/bus/bus.js';
import { RunLockedError } from '../../shared/errors/index.js';

const BUCKET = 'airlift-locks';
const KEY = 'upgrade';

const leaseSchema = z.object({
  runId: z.string(),
  holder: z.string(),
  acquiredAt: z.string(),
  renewedAt: z.string(),
  ttlMs: z.number().int().positive(),
});
type Lease = z.infer<typeof leaseSchema>;

/** Timing of the lease; a coordinator that dies frees the fleet after `ttlMs`. */
export interface RunLockOptions {
  readonly ttlMs?: number;
  readonly renewMs?: number;
  /** `airlift resume`: the run it carries on, whose lease is taken over at once. */
  readonly takeOverFrom?: string;
}

/**
 * One upgrade at a time across the fleet: a lease in a KV bucket, taken with a conditional put and
 * renewed while the run goes on. A second `airlift upgrade` meanwhile stops before it sends a job, so
 * two coordinators never give the same node different images under the same tags. A lease not renewed
 * within its ttl (the coordinator died) can be taken over; `airlift resume` of the same run takes its
 * own lease back at once.
 */
export class RunLock {
  private timer: NodeJS.Timeout | undefined;
  private revision: number;
  private released = false;

  private constructor(
    private readonly kv: KvStore,
    private lease: Lease,
    revision: number,
    private readonly renewMs: number,
    private readonly logger: Logger,
  ) {
    this.revision = revision;
  }

  /** Takes the fleet for `runId`, or throws RunLockedError naming the run that holds it. */
  static async acquire(
    bus: Bus,
    runId: string,
    logger: Logger,
    options: RunLockOptions = {},
  ): Promise<RunLock> {
    const kv = await bus.kv(BUCKET, { history: 1 });
    const ttlMs = options.ttlMs ?? 30_000;
    const now = new Date().toISOString();
    const lease: Lease = {
      runId,
      holder: `${hostname()} pid ${process.pid}`,
      acquiredAt: now,
      renewedAt: now,
      ttlMs,
    };
    const bytes = Buffer.from(JSON.stringify(lease));
    let revision = await kv.putIf(KEY, bytes);
    if (revision === undefined) {
      const entry = await kv.get(KEY);
      const held =
        entry === undefined
          ? undefined
          : leaseSchema.safeParse(JSON.parse(Buffer.from(entry.value).toString('utf8')));
      const other = held?.success === true ? held.data : undefined;
      const age = other === undefined ? Infinity : Date.now() - Date.parse(other.renewedAt);
      const own = other !== undefined && (other.runId === runId || other.runId === options.takeOverFrom);
      if (other !== undefined && !own && age <= other.ttlMs) {
        throw new RunLockedError(
          other.holder,
          `run ${other.runId} holds the fleet (${other.holder}, since ${other.acquiredAt}, renewed ${Math.round(age / 1000)} s ago): wait for it to end; a coordinator that died frees it ${Math.round(other.ttlMs / 1000)} s after its last renewal`,
        );
      }
      revision =
        entry === undefined ? await kv.putIf(KEY, bytes) : await kv.putIf(KEY, bytes, entry.revision);
      if (revision === undefined)
        throw new RunLockedError(
          'another coordinator',
          'another coordinator took the fleet at the same moment: try again',
        );
      logger.warn({ previous: other?.runId, holder: other?.holder }, 'took over a lapsed or own run lock');
    }
    const lock = new RunLock(
      kv,
      lease,
      revision,
      options.renewMs ?? Math.floor(ttlMs / 3),
      logger.child({ component: 'run-lock', runId }),
    );
    lock.timer = setInterval(() => void lock.renew(), lock.renewMs);
    lock.timer.unref();
    return lock;
  }

  /** Frees the fleet, if this run still holds it; idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    const entry = await this.kv.get(KEY).catch(() => undefined);
    if (entry?.revision === this.revision) await this.kv.delete(KEY).catch(() => undefined);
  }

  private async renew(): Promise<void> {
    if (this.released) return;
    this.lease = { ...this.lease, renewedAt: new Date().toISOString() };
    try {
      const revision = await this.kv.putIf(KEY, Buffer.from(JSON.stringify(this.lease)), this.revision);
      if (revision === undefined) {
        this.logger.error('the run lock was taken by another coordinator while this run held it');
        return;
      }
      this.revision = revision;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'run lock not renewed; will retry');
    }
  }
}
