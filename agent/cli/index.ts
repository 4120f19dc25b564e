export { nodeLoadCommand } from './node-load-command.js';
export { agentCommand } from './agent-command.js';
