import { setImmediate as nextTurn } from 'node:timers/promises';
import type {
  Bus,
  BusMessage,
  BusStatus,
  BusSubscription,
  KvEntry,
  KvOptions,
  KvStore,
} from '../../shared/bus/bus.js';
import { callSafely } from '../../shared/bus/call-safely.js';
import {
  BusKvError,
  BusRequestError,
  BusUnavailableError,
  ConfigInvalidError,
} from '../../shared/errors/index.js';

/**
 * An in-memory NATS for unit tests of control-plane logic: one `MemoryNats` is the server (subject
 * routing, KV buckets), `connect()` gives each process under test its own `MemoryBus` connection.
 * Like the real client, delivery is asynchronous (one macrotask per message, in publish order), a
 * disconnected connection neither sends nor receives (what is published meanwhile is lost), and a
 * drained one refuses everything with BusUnavailableError.
 */
export class MemoryNats {
  readonly buckets = new Map<string, MemoryBucket>();
  /** Every message any connection published, in order (replies included). */
  readonly published: { readonly subject: string; readonly data: Uint8Array }[] = [];
  readonly connections = new Set<MemoryBus>();
  private readonly faults: KvFault[] = [];
  private nextId = 0;

  connect(name = `c${this.connections.size + 1}`): MemoryBus {
    const bus = new MemoryBus(this, name);
    this.connections.add(bus);
    return bus;
  }

  /** How many live subscriptions of connected clients would receive a message on `subject`. */
  interest(subject: string): number {
    return this.routes(subject).length;
  }

  /** Makes the next `times` KV operations `op` on `bucket` (and `key`, when given) fail with BusKvError. */
  failKv(fault: { bucket: string; op: KvOp; key?: string; times?: number }): void {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  /** @internal */
  takeFault(bucket: string, op: KvOp, key: string | undefined): boolean {
    const fault = this.faults.find(
      (f) => f.remaining > 0 && f.bucket === bucket && f.op === op && (f.key === undefined || f.key === key),
    );
    if (fault === undefined) return false;
    fault.remaining--;
    return true;
  }

  /** @internal */
  routes(subject: string): Subscription[] {
    const found: Subscription[] = [];
    for (const bus of this.connections) {
      if (!bus.receiving) continue;
      for (const sub of bus.subscriptions) if (subjectMatches(sub.pattern, subject)) found.push(sub);
    }
    return found;
  }

  /** @internal */
  route(subject: string, data: Uint8Array, replyTo?: string): void {
    this.published.push({ subject, data });
    for (const sub of this.routes(subject)) {
      setImmediate(() => {
        sub.deliver(subject, data, replyTo);
      });
    }
  }

  /** @internal */
  inbox(): string {
    return `_INBOX.${++this.nextId}`;
  }
}

type KvOp = 'put' | 'get' | 'delete' | 'keys' | 'history' | 'watch';
interface KvFault {
  readonly bucket: string;
  readonly op: KvOp;
  readonly key?: string;
  remaining: number;
}

/** True when `subject` matches `pattern`, with NATS wildcards (`*` one token, `>` one or more at the end). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const want = pattern.split('.');
  const have = subject.split('.');
  for (const [i, token] of want.entries()) {
    if (token === '>') return have.length > i;
    const actual = have[i];
    if (actual === undefined || (token !== '*' && token !== actual)) return false;
  }
  return want.length === have.length;
}

function checkSubject(subject: string, wildcards: boolean): void {
  const tokens = subject.split('.');
  const bad = tokens.some(
    (t, i) =>
      t === '' ||
      /\s/.test(t) ||
      (!wildcards && (t.includes('*') || t.includes('>'))) ||
      (wildcards && t.length > 1 && (t.includes('*') || t.includes('>'))) ||
      (t === '>' && i !== tokens.length - 1),
  );
  if (bad) throw new TypeError(`invalid ${wildcards ? 'subscription' : 'publish'} subject ${subject}`);
}

class Subscription implements BusSubscription {
  active = true;
  constructor(
    readonly bus: MemoryBus,
    readonly pattern: string,
    private readonly onMessage: (message: BusMessage) => void,
  ) {}

  deliver(subject: string, data: Uint8Array, replyTo?: string): void {
    // Dropped when unsubscribed or disconnected before it arrived, as the real client does.
    if (!this.active || !this.bus.receiving) return;
    const bus = this.bus;
    const message: BusMessage = {
      subject,
      data,
      respond(reply: Uint8Array): boolean {
        if (replyTo === undefined) return false;
        bus.publish(replyTo, reply);
        return true;
      },
    };
    callSafely(this.onMessage, message, (error) => bus.callbackErrors.push(error));
  }

  unsubscribe(): void {
    this.active = false;
    this.bus.subscriptions.delete(this);
  }
}

/** One connection to a MemoryNats; implements Bus, plus test hooks. */
export class MemoryBus implements Bus {
  connected = true;
  closed = false;
  readonly subscriptions = new Set<Subscription>();
  /** What subscriber and status callbacks threw: a test can assert it stayed empty. */
  readonly callbackErrors: unknown[] = [];
  /** Every status reported to listeners, in order. */
  readonly statuses: BusStatus[] = [];
  private readonly listeners = new Set<(status: BusStatus) => void>();
  private draining: Promise<void> | undefined;

  constructor(
    readonly nats: MemoryNats,
    readonly name: string,
  ) {}

  get server(): string {
    return `memory://${this.name}`;
  }

  publish(subject: string, data: Uint8Array): void {
    this.checkOpen();
    checkSubject(subject, false);
    if (this.connected) this.nats.route(subject, data);
  }

  subscribe(subject: string, onMessage: (message: BusMessage) => void): BusSubscription {
    this.checkOpen(true);
    checkSubject(subject, true);
    return this.addSubscription(subject, onMessage);
  }

  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    this.checkOpen();
    checkSubject(subject, false);
    if (this.connected && this.nats.interest(subject) === 0) {
      throw new BusRequestError(
        subject,
        'no-responders',
        'no agent listens on this subject: is the agent running and connected to the same NATS?',
      );
    }
    const inbox = this.nats.inbox();
    let sub: BusSubscription | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<Uint8Array>((resolve, reject) => {
        sub = this.addSubscription(inbox, (reply) => {
          resolve(reply.data);
        });
        timer = setTimeout(() => {
          reject(
            new BusRequestError(
              subject,
              'timeout',
              `no reply within ${timeoutMs} ms: the responder is busy or stuck, or the connection to NATS is down`,
            ),
          );
        }, timeoutMs);
        if (this.connected) this.nats.route(subject, data, inbox);
      });
    } finally {
      clearTimeout(timer);
      sub?.unsubscribe();
    }
  }

  async kv(bucket: string, options: KvOptions = {}): Promise<KvStore> {
    this.checkOpen();
    const { history } = options;
    if (history !== undefined && !(Number.isInteger(history) && history >= 1 && history <= 64))
      throw new ConfigInvalidError(`KV bucket ${bucket}`, 'history', 'must be 1–64');
    await nextTurn();
    let data = this.nats.buckets.get(bucket);
    if (data === undefined) {
      data = new MemoryBucket(bucket, options.history ?? 1, options.maxAgeMs ?? 0);
      this.nats.buckets.set(bucket, data);
    }
    return new MemoryKvStore(data, this);
  }

  async flush(): Promise<void> {
    this.checkOpen();
    if (!this.connected) throw new BusUnavailableError([this.server], 'the connection was lost');
    // Deliveries are queued one macrotask each, in order: one more turn lets those before this run.
    await nextTurn();
  }

  onStatus(listener: (status: BusStatus) => void): void {
    this.listeners.add(listener);
  }

  drain(): Promise<void> {
    this.draining ??= (async () => {
      await nextTurn();
      for (const sub of [...this.subscriptions]) sub.unsubscribe();
      this.closed = true;
      this.emit('closed');
    })();
    return this.draining;
  }

  /** Test hook: the server goes away for this connection (`disconnected`, then `reconnecting`). */
  disconnect(): void {
    if (!this.connected || this.closed) return;
    this.connected = false;
    this.emit('disconnected');
    this.emit('reconnecting');
  }

  /** Test hook: the connection is back; subscriptions resume (`reconnected`). */
  reconnect(): void {
    if (this.connected || this.closed) return;
    this.connected = true;
    this.emit('reconnected');
  }

  /** True while this connection gets messages: connected and not closed. */
  get receiving(): boolean {
    return this.connected && !this.closed;
  }

  /** @internal Throws like the real client once closed (and, for new subscriptions, once draining). */
  checkOpen(subscribing = false): void {
    if (this.closed || (subscribing && this.draining !== undefined)) {
      throw new BusUnavailableError(
        [this.server],
        'the connection is closed (drained, or reconnecting was given up); connect again',
      );
    }
  }

  private addSubscription(subject: string, onMessage: (message: BusMessage) => void): Subscription {
    const sub = new Subscription(this, subject, onMessage);
    this.subscriptions.add(sub);
    return sub;
  }

  private emit(status: BusStatus): void {
    this.statuses.push(status);
    for (const listener of this.listeners)
      callSafely(listener, status, (error) => this.callbackErrors.push(error));
  }
}

/** A KV bucket's data on the server: one revision counter, kept revisions per key. */
export class MemoryBucket {
  private revision = 0;
  private readonly entries = new Map<string, KvEntry[]>();
  readonly watchers = new Set<{ bus: MemoryBus; onEntry: (entry: KvEntry) => void }>();

  constructor(
    readonly name: string,
    readonly history: number,
    readonly maxAgeMs: number,
  ) {}

  write(key: string, value: Uint8Array, operation: KvEntry['operation']): number {
    const entry: KvEntry = { key, value, revision: ++this.revision, created: new Date(), operation };
    const kept = operation === 'PURGE' ? [] : (this.entries.get(key) ?? []);
    kept.push(entry);
    this.entries.set(key, kept.slice(-this.history));
    for (const watcher of this.watchers) {
      setImmediate(() => {
        if (this.watchers.has(watcher) && watcher.bus.receiving) watcher.onEntry(entry);
      });
    }
    return entry.revision;
  }

  /** Revisions of `key` still kept, oldest first. */
  kept(key: string): KvEntry[] {
    const cutoff = this.maxAgeMs > 0 ? Date.now() - this.maxAgeMs : -Infinity;
    return (this.entries.get(key) ?? []).filter((e) => e.created.getTime() >= cutoff);
  }

  /** The latest value of every key that has one (not deleted), oldest revision first. */
  current(): KvEntry[] {
    return [...this.entries.keys()]
      .map((key) => this.kept(key).at(-1))
      .filter((e): e is KvEntry => e?.operation === 'PUT')
      .sort((a, b) => a.revision - b.revision);
  }
}

const KV_KEY = /^[-/_=.a-zA-Z0-9]+$/;

class MemoryKvStore implements KvStore {
  constructor(
    private readonly data: MemoryBucket,
    private readonly bus: MemoryBus,
  ) {}

  get bucket(): string {
    return this.data.name;
  }

  async put(key: string, value: Uint8Array): Promise<number> {
    await this.ready('put', key);
    return this.data.write(key, value, 'PUT');
  }

  async get(key: string): Promise<KvEntry | undefined> {
    await this.ready('get', key);
    const last = this.data.kept(key).at(-1);
    return last?.operation === 'PUT' ? last : undefined;
  }

  async putIf(key: string, value: Uint8Array, revision?: number): Promise<number | undefined> {
    await this.ready('put', key);
    const last = this.data.kept(key).at(-1);
    const current = last?.operation === 'PUT' ? last.revision : undefined;
    if (revision === undefined ? current !== undefined : last?.revision !== revision) return undefined;
    return this.data.write(key, value, 'PUT');
  }

  async delete(key: string): Promise<void> {
    await this.ready('delete', key);
    this.data.write(key, new Uint8Array(), 'DEL');
  }

  async keys(): Promise<string[]> {
    await this.ready('keys', undefined);
    return this.data.current().map((e) => e.key);
  }

  async history(key: string): Promise<KvEntry[]> {
    await this.ready('history', key);
    return this.data.kept(key);
  }

  async watch(onEntry: (entry: KvEntry) => void): Promise<{ stop(): void }> {
    await this.ready('watch', undefined);
    const deliver = (entry: KvEntry): void => {
      callSafely(onEntry, entry, (error) => this.bus.callbackErrors.push(error));
    };
    for (const entry of this.data.current()) deliver(entry);
    const watcher = { bus: this.bus, onEntry: deliver };
    this.data.watchers.add(watcher);
    return {
      stop: () => {
        this.data.watchers.delete(watcher);
      },
    };
  }

  /** One round trip to the server: fails like the real store when closed, cut off or told to fail. */
  private async ready(op: KvOp, key: string | undefined): Promise<void> {
    this.bus.checkOpen();
    if (key !== undefined && (!KV_KEY.test(key) || key.startsWith('.') || key.endsWith('.')))
      throw new BusKvError(this.bucket, key, `${op} failed: invalid key`);
    await nextTurn();
    this.bus.checkOpen();
    if (!this.bus.connected)
      throw new BusKvError(this.bucket, key, `${op} timed out: JetStream did not answer`);
    if (this.bus.nats.takeFault(this.bucket, op, key))
      throw new BusKvError(this.bucket, key, `${op} failed: injected failure`);
  }
}
