import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { splitHostPort } from '../data-plane/host-port.js';

/** Answers one path. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** What a GET-only server serves, and how it names a bad or taken address. */
export interface GetOnlyServerOptions {
  /** host:port to listen on; port 0 picks a free one (tests). */
  readonly address: string;
  /** Handlers by exact path (the query string is ignored). */
  readonly routes: Readonly<Record<string, RouteHandler>>;
  readonly logger: Logger;
  /** The error for an address that is invalid or cannot be bound: it names the flag to fix. */
  readonly listenError: (address: string, cause: unknown) => Error;
  /** Let the process exit while the server listens (a probe endpoint must not keep a daemon alive). */
  readonly unref?: boolean;
}

/**
 * A plain-HTTP server of read-only endpoints (health, metrics, a dashboard): GET and HEAD only, exact
 * paths, 404 naming the paths it has. Unauthenticated by design, so its callers bind it to loopback
 * unless told otherwise.
 */
export class GetOnlyServer {
  private server: Server | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: GetOnlyServerOptions) {}

  /** Starts listening; resolves with the bound host:port. */
  async start(): Promise<string> {
    const { host, port } = this.parseAddress();
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.options.logger.warn({ err: (err as Error).message, path: req.url }, 'request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => {
        reject(this.options.listenError(this.options.address, err));
      });
      server.listen(port, host, resolve);
    });
    if (this.options.unref === true) server.unref();
    this.server = server;
    const bound = server.address() as AddressInfo;
    return `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  }

  /** Stops listening and closes every connection (keep-alive scrapers, event streams). Idempotent. */
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

  private parseAddress(): { host: string; port: number } {
    try {
      return splitHostPort(this.options.address);
    } catch (err) {
      throw this.options.listenError(this.options.address, err);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const route = Object.hasOwn(this.options.routes, path) ? this.options.routes[path] : undefined;
    if (route !== undefined) {
      await route(req, res);
      return;
    }
    const paths = Object.keys(this.options.routes).join(', ');
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: try ${paths}\n`);
  }
}

/** Writes a JSON body that no cache may keep (health verdicts). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(`${JSON.stringify(body)}\n`);
}

/** A handler serving a prom-client registry's text. */
export function metricsRoute(metrics: {
  text(): Promise<string>;
  readonly contentType: string;
}): RouteHandler {
  return async (_req, res) => {
    const text = await metrics.text();
    res.writeHead(200, { 'content-type': metrics.contentType }).end(text);
  };
}
