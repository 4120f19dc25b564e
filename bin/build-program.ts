// The command tree, built by the composition root: the only modules that import both agent/ and
// coordinator/. Tests and the config docs generator build it the same way bin/airlift.ts does.
import { Command, Option } from 'commander';
import { agentCommand, nodeLoadCommand } from '../agent/index.js';
import {
  bundleInspectCommand,
  fleetCommand,
  nodeForgetCommand,
  resumeCommand,
  rollbackCommand,
  serveCommand,
  statusCommand,
  syncCommand,
  upgradeCommand,
} from '../coordinator/index.js';
import type { CliOutput } from '../shared/cli/index.js';
import { completionCommand } from '../shared/cli/completion-command.js';
import { configOption, configureOptionHelp } from '../shared/cli/config-apply.js';
import { LOG_FORMAT_OPTION } from '../shared/cli/log-setup.js';
import { LOG_FORMATS, type Logger } from '../shared/logging/index.js';
import { AIRLIFT_VERSION_LINE } from '../shared/version.js';

/** What the commands are built with. */
export interface ProgramParts {
  readonly output: CliOutput;
  readonly logger: Logger;
  readonly setExit: (code: number) => void;
}

/** The whole `airlift` program: every command and option, help marking required options and env names. */
export function buildProgram({ output, logger, setExit }: ProgramParts): Command {
  const program = new Command('airlift')
    .description('offline upgrade of a Helm-installed module across every node of an air-gapped cluster')
    .version(AIRLIFT_VERSION_LINE)
    .addOption(configOption())
    .addOption(
      new Option(
        `${LOG_FORMAT_OPTION} <format>`,
        'log records as JSON lines or human text (env: AIRLIFT_LOG_FORMAT; default: json for agent, else text)',
      ).choices(LOG_FORMATS),
    )
    // `upgrade --version V` is helm's chart version, not ours: program options only before the command.
    .enablePositionalOptions();
  program.addCommand(
    new Command('bundle')
      .description('read offline bundles')
      .addCommand(bundleInspectCommand(output, setExit)),
  );
  program.addCommand(
    new Command('node')
      .description('work on one node: load images on this one, or forget a gone one')
      .addCommand(nodeLoadCommand(output, logger, setExit))
      .addCommand(nodeForgetCommand(output, logger, setExit)),
  );
  program.addCommand(upgradeCommand(output, logger, setExit));
  program.addCommand(resumeCommand(output, logger, setExit));
  program.addCommand(rollbackCommand(output, logger, setExit));
  program.addCommand(syncCommand(output, setExit));
  program.addCommand(statusCommand(output, logger, setExit));
  program.addCommand(serveCommand(output, logger, setExit));
  program.addCommand(agentCommand(output, logger, setExit));
  program.addCommand(fleetCommand(output, setExit));
  program.addCommand(completionCommand(output));
  configureOptionHelp(program);
  return program;
}
