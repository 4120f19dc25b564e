/** One message received on a subject. */
export interface BusMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Answers a request; false when the message was not a request. */
  respond(data: Uint8Array): boolean;
}

/** A live subscription; unsubscribe() is idempotent. */
export interface BusSubscription {
  unsubscribe(): void;
}

/** One stored value of a KV bucket. */
export interface KvEntry {
  readonly key: string;
  readonly value: Uint8Array;
  readonly revision: number;
  /** When the server stored this revision. */
  readonly created: Date;
  readonly operation: 'PUT' | 'DEL' | 'PURGE';
}

/** A JetStream KV bucket, reduced to what airlift needs. */
export interface KvStore {
  readonly bucket: string;
  /** Stores `value`; `timeoutMs` bounds the wait for the server's acknowledgement. */
  put(key: string, value: Uint8Array, options?: { timeoutMs?: number }): Promise<number>;
  /** The latest value, or undefined when absent or deleted. */
  get(key: string): Promise<KvEntry | undefined>;
  delete(key: string): Promise<void>;
  /**
   * Puts `value` only if `key` has no value now (absent or deleted) — or, with `revision`, only if
   * `revision` is still its latest. Resolves the new revision, or undefined when another writer won.
   */
  putIf(key: string, value: Uint8Array, revision?: number): Promise<number | undefined>;
  keys(): Promise<string[]>;
  /** Every revision of one key, oldest first (as far as the bucket keeps history). */
  history(key: string): Promise<KvEntry[]>;
  /**
   * Calls `onEntry` for the current value of every key (deleted keys are left out), then for every
   * change, deletes included; resolves once the current values have been passed. stop() ends it.
   */
  watch(onEntry: (entry: KvEntry) => void): Promise<{ stop(): void }>;
}

/** Options for opening a bucket; created when missing. */
export interface KvOptions {
  /** Revisions kept per key (1–64). */
  readonly history?: number;
  /** Entries older than this are dropped by the server (0 = forever). */
  readonly maxAgeMs?: number;
  /**
   * Open an existing bucket without asking JetStream's API about it (agents may not: their identity
   * can only put its own key). Puts fail until the coordinator has created the bucket.
   */
  readonly bind?: boolean;
}

/** Connection state changes callers may want to log or show. */
export type BusStatus = 'disconnected' | 'reconnecting' | 'reconnected' | 'closed';

/**
 * The control plane as the rest of airlift sees it: publish, subscribe, request/reply and KV.
 * The NATS implementation is the real one; tests of logic may use an in-memory one.
 */
export interface Bus {
  publish(subject: string, data: Uint8Array): void;
  subscribe(subject: string, onMessage: (message: BusMessage) => void): BusSubscription;
  /** Sends a request and waits for one reply; rejects with BusRequestError on timeout or no responder. */
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  kv(bucket: string, options?: KvOptions): Promise<KvStore>;
  /** Round-trips to the server: everything published before has reached it. */
  flush(): Promise<void>;
  onStatus(listener: (status: BusStatus) => void): void;
  /** Lets subscriptions finish their pending messages, then closes; idempotent. */
  drain(): Promise<void>;
  /** The server the connection currently uses, for messages (never with credentials). */
  readonly server: string;
}
