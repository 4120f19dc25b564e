#!/usr/bin/env node
// The composition root: the only module that imports both agent/ and coordinator/.
import { Command, Option } from 'commander';
import { agentCommand, nodeLoadCommand } from '../agent/index.js';
import {
  bundleInspectCommand,
  fleetCommand,
  nodeForgetCommand,
  resumeCommand,
  statusCommand,
  upgradeCommand,
} from '../coordinator/index.js';
import { processOutput } from '../shared/cli/index.js';
import { completionCommand } from '../shared/cli/completion-command.js';
import { exitQuietlyOnClosedPipe } from '../shared/cli/closed-pipe.js';
import { LOG_FORMAT_OPTION, LogFormatError, loggerForArgs } from '../shared/cli/log-setup.js';
import { exitOnUsageError } from '../shared/cli/usage-errors.js';
import { LOG_FORMATS } from '../shared/logging/index.js';
import { AIRLIFT_VERSION_LINE } from '../shared/version.js';

let exitCode = 0;
const setExit = (code: number): void => {
  exitCode = code;
};
exitQuietlyOnClosedPipe(() => exitCode);
// Made before parsing: the commands are built with the logger. A bad format is a usage error.
const logger = await loggerForArgs(process.argv.slice(2)).catch((err: unknown) => {
  if (!(err instanceof LogFormatError)) throw err;
  process.stderr.write(`airlift: error: ${err.message}\nsee 'airlift --help'\n`);
  process.exit(2);
});

const program = new Command('airlift')
  .description('offline upgrade of a Helm-installed module across every node of an air-gapped cluster')
  .version(AIRLIFT_VERSION_LINE)
  .addOption(
    new Option(
      `${LOG_FORMAT_OPTION} <format>`,
      'log records as JSON lines or human text (env AIRLIFT_LOG_FORMAT; default: json for agent, else text)',
    ).choices(LOG_FORMATS),
  )
  // `upgrade --version V` is helm's chart version, not ours: program options only before the command.
  .enablePositionalOptions();
program.addCommand(
  new Command('bundle')
    .description('read offline bundles')
    .addCommand(bundleInspectCommand(processOutput, setExit)),
);
program.addCommand(
  new Command('node')
    .description('work on one node: load images on this one, or forget a gone one')
    .addCommand(nodeLoadCommand(processOutput, logger, setExit))
    .addCommand(nodeForgetCommand(processOutput, logger, setExit)),
);

program.addCommand(upgradeCommand(processOutput, logger, setExit));
program.addCommand(resumeCommand(processOutput, logger, setExit));
program.addCommand(statusCommand(processOutput, logger, setExit));
program.addCommand(agentCommand(processOutput, logger, setExit));
program.addCommand(fleetCommand(processOutput, setExit));
program.addCommand(completionCommand(processOutput));

exitOnUsageError(program);

await program.parseAsync(process.argv);
process.exitCode = exitCode;
