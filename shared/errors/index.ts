export { ErrorCode } from './codes.js';
export { AirliftError, hasErrorCode, type ErrorContext } from './airlift-error.js';
export * from './bundle-errors.js';
export * from './reference-errors.js';
export * from './command-errors.js';
export * from './runtime-errors.js';
export * from './kube-errors.js';
export * from './data-plane-errors.js';
export * from './bus-errors.js';
