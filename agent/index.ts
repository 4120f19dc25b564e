export * from './runtime/index.js';
export * from './node-load/index.js';
export * from './cli/index.js';
