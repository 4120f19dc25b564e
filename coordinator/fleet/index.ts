export { FleetRegistry } from './fleet-registry.js';
export {
  classifyAgent,
  DEFAULT_THRESHOLDS,
  type AgentHealth,
  type AgentRow,
  type HealthThresholds,
} from './fleet-health.js';
