export { DashboardService, DEFAULT_SERVE_LISTEN, type DashboardServiceOptions } from './dashboard-service.js';
export { DashboardServer, type DashboardServerOptions } from './dashboard-server.js';
export {
  dashboardSnapshot,
  type AgentSnapshot,
  type DashboardSnapshot,
  type RunNodeSnapshot,
  type RunSnapshot,
} from './dashboard-snapshot.js';
export { DASHBOARD_CSP, DASHBOARD_HTML } from './dashboard-page.js';
export { DEFAULT_EVENT_TIMING, EventStream, type EventStreamTiming } from './event-stream.js';
export { failureClass, NOT_VERIFIED, UNKNOWN_FAILURE } from './failure-class.js';
export { FleetModel } from './fleet-model.js';
export { DEFAULT_RESYNC_MS, watchFleet, type FleetWatchInput } from './fleet-watch.js';
export { AGENT_HEALTHS, ServeMetrics, type ServeMetricsSources } from './serve-metrics.js';
export { ServeListenError } from './serve-listen-error.js';
