export { bundleInspectCommand } from './bundle-inspect-command.js';
