import type { Logger } from 'pino';
import { GetOnlyServer, metricsRoute, sendJson } from '../../shared/http/index.js';
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
  private readonly server: GetOnlyServer;
  private readonly log: Logger;

  constructor(options: HealthServerOptions) {
    this.log = options.logger.child({ component: 'health' });
    const staleMs = options.runtimeStaleMs ?? RUNTIME_STALE_MS;
    this.server = new GetOnlyServer({
      address: options.address,
      logger: this.log,
      listenError: (address, cause) => new HealthListenError(address, cause),
      // A probe endpoint must never be what keeps the agent alive: when start-up fails after it
      // listens, the process still exits with that error.
      unref: true,
      routes: {
        '/healthz': (_req, res) => {
          const verdict = judgeHealth(options.view(), staleMs);
          sendJson(res, verdict.ok ? 200 : 503, verdict);
        },
        '/metrics': metricsRoute(options.metrics),
      },
    });
  }

  /** Starts listening; resolves with the bound host:port. */
  async start(): Promise<string> {
    const address = await this.server.start();
    this.log.info({ address }, 'health and metrics endpoint listening');
    return address;
  }

  /** Stops listening and closes open connections (a scraper's keep-alive must not hold the exit). Idempotent. */
  stop(): Promise<void> {
    return this.server.stop();
  }
}
