import type {
  Bus,
  BusMessage,
  BusStatus,
  BusSubscription,
  KvOptions,
  KvStore,
} from '../../../shared/bus/bus.js';
import { epochNow } from './worker-protocol.js';

/** When the jobs went out and their acks came back, as seen through the coordinator's own bus. */
export interface RequestTimes {
  /** performance.now() of the first and the last job request issued. */
  firstSentAt: number | undefined;
  lastSentAt: number | undefined;
  /** performance.now() of the last ack received (or request failed). */
  lastAnsweredAt: number | undefined;
  sent: number;
  answered: number;
  failed: number;
  /** Each request's round trip, ms: send to ack (signature checks of the ack come after). */
  readonly roundTripsMs: number[];
  /** Per job subject: when the request left and when its answer was in (epoch ms). */
  readonly perSubject: Map<string, { sentAt: number; answeredAt: number }>;
}

/**
 * The coordinator's real bus with the job requests timed: distribute() runs unchanged on it, and the
 * bench reads when the first job left and when the last ack arrived. Everything else passes through.
 */
export class TimedBus implements Bus {
  readonly times: RequestTimes = {
    firstSentAt: undefined,
    lastSentAt: undefined,
    lastAnsweredAt: undefined,
    sent: 0,
    answered: 0,
    failed: 0,
    roundTripsMs: [],
    perSubject: new Map(),
  };

  constructor(private readonly inner: Bus) {}

  get server(): string {
    return this.inner.server;
  }

  publish(subject: string, data: Uint8Array): void {
    this.inner.publish(subject, data);
  }

  subscribe(subject: string, onMessage: (message: BusMessage) => void): BusSubscription {
    return this.inner.subscribe(subject, onMessage);
  }

  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const t = this.times;
    const sentAt = performance.now();
    const sentEpoch = epochNow();
    t.firstSentAt ??= sentAt;
    t.lastSentAt = sentAt;
    t.sent++;
    try {
      const reply = await this.inner.request(subject, data, timeoutMs);
      t.answered++;
      return reply;
    } catch (err) {
      t.failed++;
      throw err;
    } finally {
      const now = performance.now();
      t.lastAnsweredAt = now;
      t.roundTripsMs.push(now - sentAt);
      t.perSubject.set(subject, { sentAt: sentEpoch, answeredAt: epochNow() });
    }
  }

  kv(bucket: string, options?: KvOptions): Promise<KvStore> {
    return this.inner.kv(bucket, options);
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  onStatus(listener: (status: BusStatus) => void): void {
    this.inner.onStatus(listener);
  }

  drain(): Promise<void> {
    return this.inner.drain();
  }
}
