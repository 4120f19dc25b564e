export { createLogger, silentLogger, type Logger, type LoggerSetup } from './logger.js';
