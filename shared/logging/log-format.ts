import type { DestinationStream } from 'pino';

/** How log records are written: one JSON object a line, or pino-pretty's human lines. */
export type LogFormat = 'json' | 'text';

/** The formats `--log-format` and AIRLIFT_LOG_FORMAT accept. */
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'text'];

/** `value` as a log format, or undefined when it names none. */
export function parseLogFormat(value: string | undefined): LogFormat | undefined {
  return LOG_FORMATS.find((format) => format === value);
}

/**
 * A synchronous pino-pretty stream onto `destination`: loaded only when text is chosen, so JSON
 * logging does not pay for it, and synchronous so a line is out before the process exits.
 */
export async function textLogDestination(destination: NodeJS.WritableStream): Promise<DestinationStream> {
  const { default: pretty } = await import('pino-pretty');
  return pretty({
    sync: true,
    destination,
    colorize: false,
    translateTime: 'SYS:standard',
    ignore: 'pid,hostname',
  });
}
