import type { Logger } from 'pino';
import { AirliftError } from '../errors/index.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';

/** Where a command writes for people; errors go to stderr, results to stdout. */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

/** The process's own stdout/stderr. */
export const processOutput: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Runs a command body, turns any thrown error into one clear line and the documented exit code.
 * With `log` (a daemon, whose stderr is a stream of log records) the error is a record instead.
 */
export async function runCommand(
  output: CliOutput,
  body: () => Promise<number>,
  log?: Logger,
): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof AirliftError) {
      if (log === undefined) output.err(`airlift: error [${err.code}]: ${err.message}`);
      else log.error({ code: err.code }, `error [${err.code}]: ${err.message}`);
    } else if (log === undefined) {
      output.err(
        `airlift: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
    } else {
      log.error({ err }, 'unexpected error');
    }
    return err instanceof AirliftError ? exitCodeFor(err) : ExitCode.Unexpected;
  }
}
