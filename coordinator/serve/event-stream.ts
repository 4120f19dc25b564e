import type { IncomingMessage, ServerResponse } from 'node:http';

/** How often the stream may carry an update, and when it carries one anyway. */
export interface EventStreamTiming {
  /** Least time between two updates (default 250 ms: at most 4 per second). */
  readonly minIntervalMs: number;
  /** An update at least this often even without a change: ages and health move with time (default 2 s). */
  readonly refreshMs: number;
  /** A comment line this often keeps proxies from closing an idle stream (default 15 s). */
  readonly keepAliveMs: number;
}

/** Unsent bytes a client may have queued before it is dropped (it reconnects and gets a fresh snapshot). */
const MAX_BUFFERED_BYTES = 8 << 20;

export const DEFAULT_EVENT_TIMING: EventStreamTiming = {
  minIntervalMs: 250,
  refreshMs: 2_000,
  keepAliveMs: 15_000,
};

/**
 * Server-sent events to every open dashboard: a `snapshot` event on connect, then one on every change,
 * throttled, and periodically anyway. The snapshot is made once per update for all clients. A closed
 * client is dropped at once; close() ends every stream.
 */
export class EventStream {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private lastSent = 0;
  private readonly refresh: NodeJS.Timeout;
  private readonly keepAlive: NodeJS.Timeout;

  constructor(
    private readonly snapshot: () => unknown,
    private readonly timing: EventStreamTiming = DEFAULT_EVENT_TIMING,
  ) {
    this.refresh = setInterval(() => {
      this.send();
    }, timing.refreshMs);
    this.keepAlive = setInterval(() => {
      for (const client of this.clients) client.write(': keep-alive\n\n');
    }, timing.keepAliveMs);
    this.refresh.unref();
    this.keepAlive.unref();
  }

  /** How many dashboards are connected. */
  get size(): number {
    return this.clients.size;
  }

  /** Takes over `res` as an event stream and sends the current snapshot. */
  open(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // nginx and its kind buffer responses unless told not to; a buffered stream shows nothing live.
      'x-accel-buffering': 'no',
    });
    // A reconnecting browser waits this long (ms) before trying again.
    res.write('retry: 2000\n\n');
    this.clients.add(res);
    const drop = (): void => {
      this.clients.delete(res);
    };
    req.once('close', drop);
    res.once('close', drop);
    res.write(event(this.snapshot()));
  }

  /** Something changed: sends an update now, or once the throttle allows. */
  changed(): void {
    if (this.timer !== undefined || this.clients.size === 0) return;
    const wait = this.lastSent + this.timing.minIntervalMs - performance.now();
    if (wait <= 0) {
      this.send();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.send();
    }, wait);
    this.timer.unref();
  }

  /** Ends every stream and stops the timers. Idempotent. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    clearInterval(this.refresh);
    clearInterval(this.keepAlive);
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  private send(): void {
    if (this.clients.size === 0) return;
    this.lastSent = performance.now();
    const data = event(this.snapshot());
    for (const client of this.clients) {
      // A dashboard that stopped reading must not make this process hold every update for it.
      if (client.writableLength > MAX_BUFFERED_BYTES) client.destroy();
      else client.write(data);
    }
  }
}

/** One `snapshot` event; JSON has no raw newline, so the data is one `data:` line. */
function event(snapshot: unknown): string {
  return `event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`;
}
