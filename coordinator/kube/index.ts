export { extractChart, findChartDifference, type ChartSource, type ExtractedChart } from './chart-extract.js';
export { formatArgv } from './format-argv.js';
export {
  chartRef,
  listRepos,
  parseRepoChart,
  repoUpdateCommand,
  searchVersions,
  type RepoChart,
} from './helm-repo.js';
export {
  historyCommand,
  readHistory,
  rollbackCommand,
  valuesAtRevisionCommand,
  type HistoryEntry,
} from './helm-rollback.js';
export { checkChartVersion, checkImageRegistry, checkNamespace, checkReleaseName } from './kube-arguments.js';
export {
  runKubePhase,
  type CommandRecord,
  type KubePhaseOptions,
  type KubePhaseSummary,
  type KubeStepListener,
  type KubeStepResult,
} from './kube-phase.js';
export {
  kubePaths,
  plan,
  requireVersion,
  versionMismatch,
  type KubePaths,
  type KubePhaseTarget,
  type KubePlan,
  type PlannedStep,
} from './kube-plan.js';
export {
  DEFAULT_KUBE_COMMAND_TIMEOUT_MS,
  DEFAULT_UPGRADE_TIMEOUT_MS,
  KubeTools,
  type KubeToolsOptions,
  type ReleaseStatus,
  type ToolRun,
  type ToolVersions,
  type UpgradeRequest,
} from './kube-tools.js';
export { writeFileOnce } from './write-once.js';
