import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { splitHostPort } from '../../shared/data-plane/index.js';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './dashboard-page.js';
import type { EventStream } from './event-stream.js';
import type { ServeMetrics } from './serve-metrics.js';
import { ServeListenError } from './serve-listen-error.js';

/** What the dashboard's HTTP server serves. */
export interface DashboardServerOptions {
  /** host:port; port 0 picks a free one (tests). */
  readonly address: string;
  readonly metrics: ServeMetrics;
  readonly events: EventStream;
  /** Connected to NATS with the watches running: what /healthz reports. */
  readonly live: () => boolean;
  readonly logger: Logger;
}

/**
 * `/` (the dashboard), `/events` (its server-sent events), `/metrics` and `/healthz` over plain HTTP,
 * GET only. Unauthenticated and read-only: it listens on loopback unless told otherwise.
 */
export class DashboardServer {
  private server: Server | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: DashboardServerOptions) {}

  /** Starts listening; resolves with the bound host:port. */
  async start(): Promise<string> {
    let host: string;
    let port: number;
    try {
      ({ host, port } = splitHostPort(this.options.address));
    } catch (err) {
      throw new ServeListenError(this.options.address, err);
    }
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.options.logger.warn({ err: (err as Error).message, path: req.url }, 'request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => {
        reject(new ServeListenError(this.options.address, err));
      });
      server.listen(port, host, resolve);
    });
    this.server = server;
    const bound = server.address() as AddressInfo;
    return `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  }

  /** Stops listening and closes every connection (event streams included). Idempotent. */
  stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return Promise.resolve();
    this.stopping ??= new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
      server.closeAllConnections();
    });
    return this.stopping;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/') {
      res
        .writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': DASHBOARD_CSP,
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
          'cache-control': 'no-store',
        })
        .end(DASHBOARD_HTML);
      return;
    }
    if (path === '/events') {
      this.options.events.open(req, res);
      return;
    }
    if (path === '/healthz') {
      const live = this.options.live();
      const body = live
        ? { ok: true }
        : { ok: false, reason: 'not connected to NATS, or its watches are not running' };
      res
        .writeHead(live ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(`${JSON.stringify(body)}\n`);
      return;
    }
    if (path === '/metrics') {
      const text = await this.options.metrics.text();
      res.writeHead(200, { 'content-type': this.options.metrics.contentType }).end(text);
      return;
    }
    res
      .writeHead(404, { 'content-type': 'text/plain' })
      .end('not found: try /, /events, /healthz or /metrics\n');
  }
}
