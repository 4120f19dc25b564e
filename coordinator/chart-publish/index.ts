export {
  relocateChart,
  type RelocateOptions,
  type RelocateSource,
  type RelocatedChart,
  type ValueChange,
} from './relocate-chart.js';
export { packageChart, type ChartPackage, type PackageOptions } from './package-chart.js';
export {
  createChartPublisher,
  type ChartPublisher,
  type PublisherOptions,
  type PublishResult,
} from './chart-publisher.js';
export { OciChartPublisher, type OciChartPush } from './oci-publisher.js';
export { LocalChartPublisher } from './local-publisher.js';
export { MuseumChartPublisher, chartMuseumEndpoint, harborEndpoint } from './museum-publisher.js';
export { compareVersions, mergeIndex, readPackagedChartYaml, type IndexEntry } from './repo-index.js';
