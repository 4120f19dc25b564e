import type { KV, KvEntry as NatsKvEntry } from '@nats-io/kv';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { Logger } from 'pino';

import type { AirliftError } from '../errors/index.js';
import type { KvEntry, KvStore } from './bus.js';
import { callSafely } from './call-safely.js';

/** Turns a client error of one operation into an airlift error. */
export type KvFailure = (error: unknown, key: string | undefined, what: string) => AirliftError;

// The server's answer when a conditional put lost: the key's latest revision is not the one expected.
const WRONG_LAST_SEQUENCE = new Set<number>([
  JetStreamApiCodes.StreamWrongLastSequence,
  JetStreamApiCodes.StreamWrongLastSequenceUnknown,
]);

// A watch whose consumer never reports being caught up (its bucket emptied by max-age between our
// status call and the consumer's creation) still hands over control after this long.
const INITIAL_REPLAY_GRACE_MS = 5_000;

/** KvStore over a JetStream KV bucket of nats.js. */
export class NatsKvStore implements KvStore {
  constructor(
    private readonly kv: KV,
    readonly bucket: string,
    private readonly fail: KvFailure,
    private readonly log: Logger,
  ) {}

  async put(key: string, value: Uint8Array, options: { timeoutMs?: number } = {}): Promise<number> {
    try {
      return await this.kv.put(
        key,
        value,
        options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs },
      );
    } catch (error) {
      throw this.fail(error, key, 'put');
    }
  }

  async get(key: string): Promise<KvEntry | undefined> {
    let entry: NatsKvEntry | null;
    try {
      entry = await this.kv.get(key);
    } catch (error) {
      throw this.fail(error, key, 'get');
    }
    // A deleted or purged key still has a last message: the DEL/PURGE marker.
    return entry === null || entry.operation !== 'PUT' ? undefined : toEntry(entry);
  }

  async putIf(key: string, value: Uint8Array, revision?: number): Promise<number | undefined> {
    try {
      return revision === undefined
        ? await this.kv.create(key, value)
        : await this.kv.update(key, value, revision);
    } catch (error) {
      if (error instanceof JetStreamApiError && WRONG_LAST_SEQUENCE.has(error.code)) return undefined;
      throw this.fail(error, key, revision === undefined ? 'create' : 'update');
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.kv.delete(key);
    } catch (error) {
      throw this.fail(error, key, 'delete');
    }
  }

  async keys(): Promise<string[]> {
    try {
      // nats.js lists keys with a consumer over the stream: a key written while the listing runs (an
      // agent's heartbeat) comes back twice. Seen at 16 agents as a node sent two jobs.
      const keys = new Set<string>();
      for await (const key of await this.kv.keys()) keys.add(key);
      return [...keys];
    } catch (error) {
      throw this.fail(error, undefined, 'listing keys');
    }
  }

  async history(key: string): Promise<KvEntry[]> {
    try {
      const entries: KvEntry[] = [];
      for await (const entry of await this.kv.history({ key })) entries.push(toEntry(entry));
      return entries;
    } catch (error) {
      throw this.fail(error, key, 'history');
    }
  }

  /**
   * Resolves once the current value of every key has been passed to `onEntry` (deleted keys are left
   * out of that first pass), then passes every change, deletes included, until stop().
   */
  async watch(onEntry: (entry: KvEntry) => void): Promise<{ stop(): void }> {
    let iterator;
    let empty: boolean;
    try {
      empty = (await this.kv.status()).values === 0;
      iterator = await this.kv.watch();
    } catch (error) {
      throw this.fail(error, undefined, 'watch');
    }
    let stopped = false;
    let markCaughtUp: () => void = () => undefined;
    const caughtUp = new Promise<void>((resolve) => {
      markCaughtUp = resolve;
    });
    const grace = setTimeout(markCaughtUp, INITIAL_REPLAY_GRACE_MS);
    grace.unref();
    if (empty) markCaughtUp();

    const consume = async (): Promise<void> => {
      let initial = !empty;
      for await (const entry of iterator) {
        if (stopped) break;
        if (!initial || entry.operation === 'PUT') this.deliver(onEntry, entry);
        // `delta` is what the consumer still has pending after this entry: 0 means caught up.
        if (initial && entry.delta === 0) {
          initial = false;
          markCaughtUp();
        }
      }
    };
    consume()
      .catch((error: unknown) => {
        if (stopped) return;
        const reason = this.fail(error, undefined, 'watch').message;
        this.log.warn({ bucket: this.bucket, err: reason }, 'KV watch ended');
      })
      .finally(() => {
        clearTimeout(grace);
        markCaughtUp();
      });

    await caughtUp;
    return {
      stop: () => {
        stopped = true;
        iterator.stop();
      },
    };
  }

  private deliver(onEntry: (entry: KvEntry) => void, entry: NatsKvEntry): void {
    // A bug in one watcher must not end the watch for good.
    callSafely(onEntry, toEntry(entry), (error) => {
      this.log.error({ bucket: this.bucket, key: entry.key, err: error }, 'KV watch callback failed');
    });
  }
}

function toEntry(entry: NatsKvEntry): KvEntry {
  return {
    key: entry.key,
    value: entry.value,
    revision: entry.revision,
    created: entry.created,
    operation: entry.operation,
  };
}
