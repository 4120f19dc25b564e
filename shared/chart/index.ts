export {
  parseTemplate,
  renderTemplate,
  templateFieldPaths,
  formatGoNumber,
  type ParsedTemplate,
} from './go-template.js';
export { imageTemplateParts, type ImageTemplateParts } from './image-template-parts.js';
export { coalesceValues, type ChartValues, type SubchartValues } from './chart-values.js';
export { parseHints, renderHints, type RenderedHint } from './hints.js';
export { parseChartMetadata, type ChartMetadata, type ChartDependency } from './chart-metadata.js';
