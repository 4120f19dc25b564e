export { firstIssue } from './zod-issue.js';
