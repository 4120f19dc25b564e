export * from './cli/index.js';
