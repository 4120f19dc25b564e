export { AgentMetrics, JOB_PHASES, type MetricsSources } from './agent-metrics.js';
export { judgeHealth, RUNTIME_STALE_MS, type HealthVerdict } from './health-check.js';
export { HealthListenError } from './health-listen-error.js';
export { HealthServer, type HealthServerOptions } from './health-server.js';
export type { AgentHealthView, ReceivedTotals, ServedTotals } from './health-view.js';
