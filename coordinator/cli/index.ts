export { bundleInspectCommand } from './bundle-inspect-command.js';
export { upgradeCommand } from './upgrade-command.js';
export { statusCommand } from './status-command.js';
export { resumeCommand } from './resume-command.js';
export { fleetCommand } from './fleet-command.js';
export { nodeForgetCommand } from './node-forget-command.js';
export { serveCommand } from './serve-command.js';
