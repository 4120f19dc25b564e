import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { splitHostPort } from '../../shared/data-plane/index.js';
import type { AgentMetrics } from './agent-metrics.js';
import { judgeHealth, RUNTIME_STALE_MS } from './health-check.js';
import { HealthListenError } from './health-listen-error.js';
import type { AgentHealthView } from './health-view.js';

/** What the health server needs. */
export interface HealthServerOptions {
  /** host:port to listen on; port 0 picks a free one (tests). */
  readonly address: string;
  readonly view: () => AgentHealthView;
  readonly metrics: AgentMetrics;
  readonly logger: Logger;
  /** How old the runtime's last answer may be for /healthz to say 200 (default 60 s). */
  readonly runtimeStaleMs?: number;
}

/**
 * `/healthz` and `/metrics` over plain HTTP. Unauthenticated by design (Prometheus and kubelet probes
 * speak no mTLS here), so it listens on loopback unless told otherwise: it tells whoever reaches it
 * the node's state, job phase and traffic.
 */
export class HealthServer {
  private server: Server | undefined;
  private stopping: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(private readonly options: HealthServerOptions) {
    this.log = options.logger.child({ component: 'health' });
  }

  /** Starts listening; resolves with the bound host:port. */
  async start(): Promise<string> {
    const { host, port } = parseListen(this.options.address);
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.log.warn({ err: (err as Error).message, path: req.url }, 'health request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => {
        reject(new HealthListenError(this.options.address, err));
      });
      server.listen(port, host, resolve);
    });
    // A probe endpoint must never be what keeps the agent alive: when start-up fails after it listens,
    // the process still exits with that error (an idle keep-alive scraper holds it at most 5 s more).
    server.unref();
    this.server = server;
    const bound = server.address() as AddressInfo;
    const address = `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
    this.log.info({ address }, 'health and metrics endpoint listening');
    return address;
  }

  /** Stops listening and closes idle connections. Idempotent. */
  stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return Promise.resolve();
    this.stopping ??= new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
      // A scraper's keep-alive connection must not hold the agent's exit.
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
    if (path === '/healthz') {
      const verdict = judgeHealth(this.options.view(), this.options.runtimeStaleMs ?? RUNTIME_STALE_MS);
      res
        .writeHead(verdict.ok ? 200 : 503, {
          'content-type': 'application/json',
          'cache-control': 'no-store',
        })
        .end(`${JSON.stringify(verdict)}\n`);
      return;
    }
    if (path === '/metrics') {
      const text = await this.options.metrics.text();
      res.writeHead(200, { 'content-type': this.options.metrics.contentType }).end(text);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz or /metrics\n');
  }
}

/** host:port, where an invalid address names the flag to fix. */
function parseListen(address: string): { host: string; port: number } {
  try {
    return splitHostPort(address);
  } catch (err) {
    throw new HealthListenError(address, err);
  }
}
