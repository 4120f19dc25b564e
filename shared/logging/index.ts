export { componentLogger } from './component-logger.js';
export { LOG_FORMATS, parseLogFormat, textLogDestination, type LogFormat } from './log-format.js';
export { createLogger, silentLogger, type Logger, type LoggerSetup } from './logger.js';
