import type { Logger } from 'pino';
import type { Bus } from '../../shared/bus/bus.js';
import type { TrustPolicy } from '../../shared/trust/index.js';
import type { HealthThresholds } from '../fleet/index.js';
import { dashboardSnapshot } from './dashboard-snapshot.js';
import { DashboardServer } from './dashboard-server.js';
import { DEFAULT_EVENT_TIMING, EventStream, type EventStreamTiming } from './event-stream.js';
import { FleetModel } from './fleet-model.js';
import { watchFleet } from './fleet-watch.js';
import { ServeMetrics } from './serve-metrics.js';

/** Where `airlift serve` listens unless --listen says otherwise: loopback, unauthenticated. */
export const DEFAULT_SERVE_LISTEN = '127.0.0.1:7485';

/** What the dashboard service needs. */
export interface DashboardServiceOptions {
  /** host:port for the dashboard, /events, /healthz and /metrics. */
  readonly listen: string;
  /** Connects to NATS as the coordinator, waiting for it if need be; `signal` (stop()) ends the wait. */
  readonly connect: (signal: AbortSignal) => Promise<Bus>;
  /** How heartbeats are checked: signed by the node they describe, or insecure. */
  readonly policy: TrustPolicy;
  readonly logger: Logger;
  readonly thresholds?: HealthThresholds;
  readonly timing?: EventStreamTiming;
  /** How often the whole fleet registry is read again (default 15 s). */
  readonly resyncMs?: number;
}

/**
 * `airlift serve`: a read-only view of the fleet and the current run. Listens first (so /healthz can
 * say 503 while NATS is away), then connects and watches the fleet registry and the runs bucket.
 */
export class DashboardService {
  readonly model: FleetModel;
  readonly metrics: ServeMetrics;
  private readonly events: EventStream;
  private readonly server: DashboardServer;
  private readonly log: Logger;
  private readonly abort = new AbortController();
  private bus: Bus | undefined;
  private watch: { stop(): void } | undefined;
  private busUp = false;
  private bound: string | undefined;
  private starting: Promise<string> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: DashboardServiceOptions) {
    this.log = options.logger.child({ component: 'serve' });
    this.model = new FleetModel(options.thresholds);
    const live = (): boolean => this.live;
    this.metrics = new ServeMetrics({ model: this.model, live });
    this.events = new EventStream(
      () => dashboardSnapshot(this.model, this.live),
      options.timing ?? DEFAULT_EVENT_TIMING,
    );
    this.model.onChange(() => {
      this.events.changed();
    });
    this.server = new DashboardServer({
      address: options.listen,
      metrics: this.metrics,
      events: this.events,
      live,
      logger: this.log,
    });
  }

  /** host:port it listens on, once it does (before NATS is reached). */
  get address(): string | undefined {
    return this.bound;
  }

  /** Connected to NATS with the watches running. */
  get live(): boolean {
    return this.busUp && this.watch !== undefined && this.stopping === undefined;
  }

  /** Listens, connects and starts the watches; resolves with the bound host:port. Called once. */
  start(): Promise<string> {
    this.starting ??= this.run();
    return this.starting;
  }

  /** Ends the streams and the watches, stops listening and closes the connection. Idempotent. */
  stop(): Promise<void> {
    this.abort.abort(new Error('airlift serve stopping'));
    this.stopping ??= this.release();
    return this.stopping;
  }

  private async run(): Promise<string> {
    const address = await this.server.start();
    this.bound = address;
    this.log.info({ address }, `dashboard on http://${address}/`);
    if (!isLoopback(address)) {
      this.log.warn(
        { address },
        'the dashboard, /metrics and /healthz are unauthenticated and now reachable beyond this host: they show node names, states and run progress to whoever reaches them',
      );
    }
    const bus = await this.options.connect(this.abort.signal);
    this.bus = bus;
    if (this.stopping !== undefined) return address;
    this.busUp = true;
    bus.onStatus((status) => {
      this.busUp = status === 'reconnected';
      this.events.changed();
    });
    this.watch = await watchFleet({
      bus,
      policy: this.options.policy,
      model: this.model,
      logger: this.log,
      ...(this.options.resyncMs === undefined ? {} : { resyncMs: this.options.resyncMs }),
    });
    this.events.changed();
    this.log.info({ server: bus.server }, 'watching the fleet registry and the runs bucket');
    return address;
  }

  private async release(): Promise<void> {
    // A start under way ends first (its wait for NATS is cut short by the abort).
    await this.starting?.catch(() => undefined);
    this.watch?.stop();
    this.events.close();
    await this.server.stop();
    await this.bus?.drain();
    this.log.info('airlift serve stopped');
  }
}

/** Whether a bound host:port is on the loopback interface. */
function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address.startsWith('[::1]:');
}
