import {
  createLogger,
  parseLogFormat,
  textLogDestination,
  type LogFormat,
  type Logger,
} from '../logging/index.js';

/** The command-line option, accepted before the command name like every program-wide option. */
export const LOG_FORMAT_OPTION = '--log-format';

/** Why a log format given on the command line or in the environment was refused. */
export class LogFormatError extends Error {}

/** The command name and `--log-format` value among the program options that precede it. */
function scanArgs(args: readonly string[]): { command: string | undefined; flag: string | undefined } {
  let flag: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === LOG_FORMAT_OPTION) flag = args[++i];
    else if (arg.startsWith(`${LOG_FORMAT_OPTION}=`)) flag = arg.slice(LOG_FORMAT_OPTION.length + 1);
    else if (!arg.startsWith('-')) return { command: arg, flag };
  }
  return { command: undefined, flag };
}

/**
 * The log format for this run: `--log-format`, else AIRLIFT_LOG_FORMAT, else JSON for the agent (a
 * daemon whose journal is read by tools) and text for the one-shot commands (read by people).
 */
export function logFormatFor(args: readonly string[], env: NodeJS.ProcessEnv): LogFormat {
  const { command, flag } = scanArgs(args);
  const [given, source] =
    flag !== undefined ? [flag, LOG_FORMAT_OPTION] : [env.AIRLIFT_LOG_FORMAT, 'AIRLIFT_LOG_FORMAT'];
  if (given === undefined || given === '') return command === 'agent' ? 'json' : 'text';
  const format = parseLogFormat(given);
  if (format === undefined)
    throw new LogFormatError(`${source} must be json or text, not ${JSON.stringify(given)}`);
  return format;
}

/** The process-wide logger for `args` (argv after the script): the level and format the run asks for. */
export async function loggerForArgs(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  destination: NodeJS.WritableStream = process.stderr,
): Promise<Logger> {
  const format = logFormatFor(args, env);
  const { command } = scanArgs(args);
  // The agent is a daemon whose logs are its record; one-shot commands print their own output instead.
  const level = env.AIRLIFT_LOG_LEVEL ?? (command === 'agent' ? 'info' : 'error');
  return createLogger({
    level,
    destination: format === 'text' ? await textLogDestination(destination) : destination,
  });
}
