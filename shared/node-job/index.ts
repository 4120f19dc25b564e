export { planRetags, type RetagPlan, type RetagPlanEntry } from './retag-plan.js';
export type { ImageLoadOutcome, NodeLoadReport } from './node-load-report.js';
export { resolveRetagRule, type RetagRuleOptions } from './retag-rule-options.js';
