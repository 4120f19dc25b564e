import type { Logger } from 'pino';
import { GetOnlyServer, metricsRoute, sendJson } from '../../shared/http/index.js';
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

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/**
 * `/` (the dashboard), `/events` (its server-sent events), `/metrics` and `/healthz` over plain HTTP,
 * GET only. Unauthenticated and read-only: it listens on loopback unless told otherwise.
 */
export class DashboardServer {
  private readonly server: GetOnlyServer;

  constructor(options: DashboardServerOptions) {
    this.server = new GetOnlyServer({
      address: options.address,
      logger: options.logger,
      listenError: (address, cause) => new ServeListenError(address, cause),
      routes: {
        '/': (_req, res) => {
          res.writeHead(200, PAGE_HEADERS).end(DASHBOARD_HTML);
        },
        '/events': (req, res) => {
          options.events.open(req, res);
        },
        '/healthz': (_req, res) => {
          const live = options.live();
          sendJson(
            res,
            live ? 200 : 503,
            live
              ? { ok: true }
              : { ok: false, reason: 'not connected to NATS, or its watches are not running' },
          );
        },
        '/metrics': metricsRoute(options.metrics),
      },
    });
  }

  /** Starts listening; resolves with the bound host:port. */
  start(): Promise<string> {
    return this.server.start();
  }

  /** Stops listening and closes every connection (event streams included). Idempotent. */
  stop(): Promise<void> {
    return this.server.stop();
  }
}
