export { Bundle, type BundleInfo, type ByteRange } from './open-bundle.js';
export type { BundleChart, BundleSubchart } from './bundle-chart.js';
export { describeHintProblems, type HintCrossCheck } from './cross-check.js';
export { parseBundleFileName } from './bundle-name.js';
