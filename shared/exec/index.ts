export { DEFAULT_TIMEOUT_MS, type CommandRunner, type RunOptions, type RunResult } from './command-runner.js';
export { ExecaRunner } from './execa-runner.js';
export { redact } from './redact.js';
