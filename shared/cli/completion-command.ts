import { Argument, Command } from 'commander';
import { completionScript, parseCompletionShell, type CompletionShell } from './completion.js';
import type { CliOutput } from './run-command.js';

/** The program `command` belongs to: the script covers the whole tree, not just this branch. */
function rootOf(command: Command): Command {
  let root = command;
  while (root.parent !== null) root = root.parent;
  return root;
}

/**
 * `airlift completion bash|zsh`: prints a completion script generated from the command tree as it is
 * at run time, so it cannot go stale when a command or option is added.
 */
export function completionCommand(output: CliOutput): Command {
  return new Command('completion')
    .description('print a shell completion script (bash or zsh) for every command and option')
    .addArgument(new Argument('<shell>', 'bash or zsh').argParser(parseCompletionShell))
    .addHelpText(
      'after',
      '\nExamples:\n  $ airlift completion bash > /etc/bash_completion.d/airlift\n  $ airlift completion zsh > "${fpath[1]}/_airlift"\n',
    )
    .action((shell: CompletionShell, _flags: unknown, command: Command) => {
      output.out(completionScript(rootOf(command), shell));
    });
}
