import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

// Paths that can carry credentials anywhere in a log object; pino removes them before writing.
const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'token',
  '*.token',
  'auth',
  '*.auth',
  'credentials',
  '*.credentials',
];

/** Options for the process-wide logger. */
export interface LoggerSetup {
  readonly level?: string;
  /** Where records go; defaults to stderr so stdout stays for command output. */
  readonly destination?: NodeJS.WritableStream | pino.DestinationStream;
}

/** Creates the root pino logger; components get `componentLogger(logger, component, { node })`. */
export function createLogger(setup: LoggerSetup = {}): Logger {
  const options: LoggerOptions = {
    level: setup.level ?? process.env.AIRLIFT_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    // Journals and log shippers read ISO 8601 as is; epoch milliseconds need converting by hand.
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(options, setup.destination ?? process.stderr);
}

/** A logger that writes nothing (tests, library use without logging). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
