export {
  type ImageReference,
  type ParseOutcome,
  parseReference,
  tryParseReference,
  formatReference,
  formatName,
} from './image-reference.js';
export {
  type RetagRule,
  type RegistryRetagRule,
  type Relok8sRetagRule,
  type RetagRuleProblem,
  applyRetagRule,
  describeRetagRule,
  findRetagRuleProblem,
} from './retag-rule.js';
export {
  type LoadImageConfig,
  type ContainerAuth,
  type ChartRepoConfig,
  type ChartRepoKind,
  type Credentials,
  CHART_REPO_KINDS,
  parseLoadImageConfig,
  readLoadImageConfig,
} from './load-image-config.js';
export { Secret } from './secret.js';
