export { planRetags, type RetagPlan, type RetagPlanEntry } from './retag-plan.js';
export {
  nodeLoadReportSchema,
  imageLoadOutcomeSchema,
  type ImageLoadOutcome,
  type NodeLoadReport,
} from './node-load-report.js';
export { resolveRetagRule, type RetagRuleOptions } from './retag-rule-options.js';
