import type { Command } from 'commander';
import { ExitCode } from './exit-codes.js';

/** `airlift bundle inspect`: the words that run `command`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at !== null; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

/**
 * Makes `command` and every subcommand exit 2 on a usage error, after commander's one-line complaint
 * and a pointer to the help (the whole help after every typo buried the complaint); help and
 * --version still exit 0. addCommand() does not pass settings down, hence the walk.
 */
export function exitOnUsageError(command: Command, stderr: NodeJS.WritableStream = process.stderr): void {
  command.exitOverride((err) => {
    if (err.exitCode === 0) process.exit(0);
    // Bare `airlift` (or a group without its subcommand) has already printed the full help.
    if (err.code !== 'commander.help') stderr.write(`see '${commandPath(command)} --help'\n`);
    process.exit(ExitCode.Usage);
  });
  command.commands.forEach((sub) => {
    exitOnUsageError(sub, stderr);
  });
}
