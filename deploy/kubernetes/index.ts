export {
  writeDaemonSet,
  renderDaemonSet,
  type WriteDaemonSetOptions,
  type WrittenDaemonSet,
} from './write-daemonset.js';
export {
  agentManifests,
  AGENT_NAME,
  DEFAULT_NAMESPACE,
  METRICS_PORT,
  DRAIN_TIMEOUT_SECONDS,
  TERMINATION_GRACE_SECONDS,
  type AgentManifestOptions,
  type ManifestRuntime,
} from './agent-manifest.js';
