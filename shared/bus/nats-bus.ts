import { Kvm } from '@nats-io/kv';
import type { KvOptions as NatsKvOptions } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import type { Msg, NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import type { Logger } from 'pino';

import { setTimeout as sleep } from 'node:timers/promises';
import { BusAuthError, ConfigInvalidError } from '../errors/index.js';
import { silentLogger } from '../logging/index.js';
import type { Bus, BusMessage, BusStatus, BusSubscription, KvOptions, KvStore } from './bus.js';
import { natsConnectSetup } from './bus-connect-options.js';
import type { BusConnectOptions } from './bus-connect-options.js';
import { callSafely } from './call-safely.js';
import {
  closedFailure,
  connectFailure,
  describeError,
  disconnectedFailure,
  isClosedError,
  kvFailure,
  requestFailure,
  scrubberFor,
  type Scrub,
} from './nats-errors.js';
import { NatsKvStore } from './nats-kv-store.js';
import { logStatus, mapStatus } from './nats-status.js';

// drain() waits for the server to confirm; a server that hangs must not keep a stopping process alive.
const DRAIN_TIMEOUT_MS = 10_000;
const MAX_KV_HISTORY = 64;

/** Connects to NATS; rejects with BusUnavailableError or BusAuthError (never naming a secret). */
export async function connectBus(options: BusConnectOptions, logger: Logger = silentLogger()): Promise<Bus> {
  const log = logger.child({ component: 'bus' });
  const setup = await natsConnectSetup(options);
  const scrub = scrubberFor(setup.secrets);
  const servers = setup.displayServers;
  log.debug({ servers, waitOnFirstConnect: options.waitOnFirstConnect ?? false }, 'connecting to NATS');
  if (options.waitOnFirstConnect === true) log.info({ servers }, 'waiting for NATS to accept the connection');
  let nc: NatsConnection;
  if (options.waitOnFirstConnect === true) {
    nc = await connectWaiting(setup.natsOptions, options, servers, scrub, log);
  } else {
    try {
      nc = await connect(setup.natsOptions);
    } catch (error) {
      throw connectFailure(error, servers, scrub);
    }
  }
  const tls = options.tls !== undefined || options.servers.some((server) => server.startsWith('tls://'));
  const bus = new NatsBus(nc, servers, tls ? 'tls' : 'nats', log);
  log.info({ server: bus.server, serverVersion: nc.info?.version }, 'connected to NATS');
  return bus;
}

/**
 * waitOnFirstConnect, as our own loop of single attempts rather than nats.js's: that one cannot be
 * stopped (an agent told to stop while NATS is down would hang until SIGKILL), and it retries refused
 * credentials without a word. Here `options.signal` ends the wait (rejecting with its reason), and a
 * refusal of the credentials rejects at once with BusAuthError: retrying cannot fix them, and a daemon
 * under systemd then shows as failing, with the reason in its journal, instead of silently waiting.
 */
async function connectWaiting(
  natsOptions: NodeConnectionOptions,
  options: BusConnectOptions,
  servers: readonly string[],
  scrub: Scrub,
  log: Logger,
): Promise<NatsConnection> {
  const { signal } = options;
  const pauseMs = options.reconnectTimeWaitMs ?? 1_000;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    const dialing = connect({ ...natsOptions, waitOnFirstConnect: false });
    try {
      return await (signal === undefined ? dialing : abortable(dialing, signal));
    } catch (error) {
      if (signal?.aborted === true) {
        // An attempt still under way ends within its connect timeout; close it if it connects.
        dialing.then(
          (late) => void late.close(),
          () => undefined,
        );
        throw signal.reason;
      }
      const failure = connectFailure(error, servers, scrub);
      if (failure instanceof BusAuthError) throw failure;
      // The first miss, then about once a minute: the journal shows the agent is waiting, and why.
      if (attempt === 1 || attempt % 60 === 0) {
        log.warn({ servers, attempt, reason: failure.message }, 'NATS does not answer yet; still waiting');
      }
    }
    await sleep(pauseMs, undefined, signal === undefined ? {} : { signal });
  }
}

/** `work`, or the signal's reason as soon as it aborts (the work itself goes on). */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      const reason: unknown = signal.reason;
      reject(reason instanceof Error ? reason : new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      signal.removeEventListener('abort', onAbort);
    });
  });
}

/** Bus over one nats.js connection. */
class NatsBus implements Bus {
  private readonly listeners = new Set<(status: BusStatus) => void>();
  private kvm: Kvm | undefined;
  private draining: Promise<void> | undefined;
  private closedReported = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly servers: readonly string[],
    private readonly scheme: 'nats' | 'tls',
    private readonly log: Logger,
  ) {
    void this.followStatus();
    void nc.closed().then((error) => {
      if (error !== undefined) {
        this.log.error(
          { servers, reason: error.message },
          'connection to NATS closed for good; restart the process',
        );
      }
      this.reportClosed();
    });
  }

  get server(): string {
    const listen = this.nc.getServer();
    // nats.js gives host:port; strip anything credential-like in case it ever gives more.
    return listen === '' ? (this.servers[0] ?? '') : `${this.scheme}://${listen.replace(/^.*@/, '')}`;
  }

  publish(subject: string, data: Uint8Array): void {
    try {
      this.nc.publish(subject, data);
    } catch (error) {
      throw isClosedError(error) ? closedFailure(this.servers, error) : error;
    }
  }

  subscribe(subject: string, onMessage: (message: BusMessage) => void): BusSubscription {
    const log = this.log.child({ subject });
    let subscription;
    try {
      subscription = this.nc.subscribe(subject, {
        callback: (error, msg) => {
          if (error !== null) {
            // Permission violations and the like end the subscription; nothing to deliver.
            log.warn({ err: error.message }, 'subscription ended by the server');
            return;
          }
          callSafely(onMessage, this.toMessage(msg), (failure) => {
            log.error({ err: failure, messageSubject: msg.subject }, 'subscriber callback failed');
          });
        },
      });
    } catch (error) {
      throw isClosedError(error) ? closedFailure(this.servers, error) : error;
    }
    return {
      unsubscribe: () => {
        if (subscription.isClosed() || this.nc.isClosed()) return;
        try {
          subscription.unsubscribe();
        } catch (error) {
          // Closed between the check and the call: it is unsubscribed either way.
          if (!isClosedError(error)) throw error;
        }
      },
    };
  }

  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    try {
      const reply = await this.nc.request(subject, data, { timeout: timeoutMs });
      return reply.data;
    } catch (error) {
      throw requestFailure(error, subject, timeoutMs, this.servers);
    }
  }

  async kv(bucket: string, options: KvOptions = {}): Promise<KvStore> {
    const natsOptions: Partial<NatsKvOptions> = {};
    if (options.history !== undefined) {
      if (!Number.isInteger(options.history) || options.history < 1 || options.history > MAX_KV_HISTORY) {
        throw new ConfigInvalidError(`KV bucket ${bucket}`, 'history', `must be 1–${MAX_KV_HISTORY}`);
      }
      natsOptions.history = options.history;
    }
    if (options.maxAgeMs !== undefined) {
      if (!Number.isInteger(options.maxAgeMs) || options.maxAgeMs < 0) {
        throw new ConfigInvalidError(`KV bucket ${bucket}`, 'maxAgeMs', 'must be a whole number ≥ 0');
      }
      natsOptions.ttl = options.maxAgeMs;
    }
    const fail = (error: unknown, key: string | undefined, what: string) =>
      kvFailure(error, bucket, key, what, this.servers);
    try {
      this.kvm ??= new Kvm(this.nc);
      if (options.bind === true) {
        return new NatsKvStore(await this.kvm.open(bucket), bucket, fail, this.log.child({ bucket }));
      }
      // Creates the bucket, or opens it as it is: an existing bucket keeps its history and max age.
      const kv = await this.kvm.create(bucket, natsOptions);
      this.warnOnDifferentSettings(bucket, options, await kv.status());
      return new NatsKvStore(kv, bucket, fail, this.log.child({ bucket }));
    } catch (error) {
      throw fail(error, undefined, 'opening the bucket');
    }
  }

  async flush(): Promise<void> {
    try {
      await this.nc.flush();
    } catch (error) {
      throw isClosedError(error)
        ? closedFailure(this.servers, error)
        : disconnectedFailure(this.servers, error);
    }
  }

  onStatus(listener: (status: BusStatus) => void): void {
    this.listeners.add(listener);
  }

  drain(): Promise<void> {
    this.draining ??= this.drainOnce();
    return this.draining;
  }

  private async drainOnce(): Promise<void> {
    if (!this.nc.isClosed()) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timed out'>((resolve) => {
        timer = setTimeout(resolve, DRAIN_TIMEOUT_MS, 'timed out');
      });
      // During an outage nats.js rejects the drain ("connection disconnected") and leaves the connection
      // open and reconnecting; a stopping process wants it closed either way.
      const outcome = await Promise.race([
        this.nc.drain().then(
          () => 'drained',
          (error: unknown) => (isClosedError(error) ? 'drained' : describeError(error)),
        ),
        timedOut,
      ]);
      clearTimeout(timer);
      if (outcome !== 'drained') {
        this.log.warn({ reason: outcome }, 'NATS drain did not complete; closing the connection');
        await this.nc.close().catch(() => undefined);
      }
    }
    // Said before drain() resolves, so callers can rely on having heard it.
    this.reportClosed();
  }

  private toMessage(msg: Msg): BusMessage {
    const servers = this.servers;
    return {
      subject: msg.subject,
      data: msg.data,
      respond(data: Uint8Array): boolean {
        try {
          return msg.respond(data);
        } catch (error) {
          throw isClosedError(error) ? closedFailure(servers, error) : error;
        }
      },
    };
  }

  private async followStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      logStatus(this.log, this.scheme, status);
      const mapped = mapStatus(status);
      if (mapped === 'closed') this.reportClosed();
      else if (mapped !== undefined) this.emit(mapped);
    }
  }

  private reportClosed(): void {
    if (this.closedReported) return;
    this.closedReported = true;
    this.emit('closed');
  }

  private emit(status: BusStatus): void {
    for (const listener of this.listeners) {
      callSafely(listener, status, (error) => {
        this.log.error({ err: error, status }, 'bus status listener failed');
      });
    }
  }

  private warnOnDifferentSettings(
    bucket: string,
    wanted: KvOptions,
    actual: { history: number; ttl: number },
  ): void {
    const differs =
      (wanted.history !== undefined && wanted.history !== actual.history) ||
      (wanted.maxAgeMs !== undefined && wanted.maxAgeMs !== actual.ttl);
    if (differs) {
      this.log.warn(
        { bucket, wanted, actual: { history: actual.history, maxAgeMs: actual.ttl } },
        'KV bucket exists with other settings; keeping them',
      );
    }
  }
}
