export { nodeLoadCommand } from './node-load-command.js';
