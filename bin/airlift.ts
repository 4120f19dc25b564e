#!/usr/bin/env node
// The composition root: the only module that imports both agent/ and coordinator/.
import { Command } from 'commander';
import { agentCommand, nodeLoadCommand } from '../agent/index.js';
import {
  bundleInspectCommand,
  fleetCommand,
  resumeCommand,
  statusCommand,
  upgradeCommand,
} from '../coordinator/index.js';
import { processOutput } from '../shared/cli/index.js';
import { createLogger } from '../shared/logging/index.js';
import { AIRLIFT_VERSION } from '../shared/version.js';

let exitCode = 0;
const setExit = (code: number): void => {
  exitCode = code;
};
// The agent is a daemon whose logs are its record; one-shot commands print their own output instead.
const logger = createLogger({
  level: process.env.AIRLIFT_LOG_LEVEL ?? (process.argv[2] === 'agent' ? 'info' : 'error'),
});

const program = new Command('airlift')
  .description('offline upgrade of a Helm-installed module across every node of an air-gapped cluster')
  .version(AIRLIFT_VERSION)
  // `upgrade --version V` is helm's chart version, not ours: program options only before the command.
  .enablePositionalOptions();
program.addCommand(
  new Command('bundle')
    .description('read offline bundles')
    .addCommand(bundleInspectCommand(processOutput, setExit)),
);
program.addCommand(
  new Command('node')
    .description('work on this node only')
    .addCommand(nodeLoadCommand(processOutput, logger, setExit)),
);

program.addCommand(upgradeCommand(processOutput, logger, setExit));
program.addCommand(resumeCommand(processOutput, logger, setExit));
program.addCommand(statusCommand(processOutput, logger, setExit));
program.addCommand(agentCommand(processOutput, logger, setExit));
program.addCommand(fleetCommand(processOutput, setExit));

// addCommand() does not pass settings down: every command exits 2 on a usage error, as documented.
const exitOnUsageError = (command: Command): void => {
  command.showHelpAfterError().exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });
  command.commands.forEach(exitOnUsageError);
};
exitOnUsageError(program);

await program.parseAsync(process.argv);
process.exitCode = exitCode;
