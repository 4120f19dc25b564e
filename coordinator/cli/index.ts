export { bundleInspectCommand } from './bundle-inspect-command.js';
export { upgradeCommand } from './upgrade-command.js';
export { statusCommand } from './status-command.js';
