#!/usr/bin/env node
// The composition root: with build-program.ts, the only module that imports both agent/ and coordinator/.
import { processOutput } from '../shared/cli/index.js';
import { exitQuietlyOnClosedPipe } from '../shared/cli/closed-pipe.js';
import { installSettings } from '../shared/cli/config-apply.js';
import { DEFAULT_CONFIG_FILE } from '../shared/cli/config-file.js';
import { LogFormatError, loggerForArgs } from '../shared/cli/log-setup.js';
import { exitOnUsageError } from '../shared/cli/usage-errors.js';
import { buildProgram } from './build-program.js';

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

const program = buildProgram({ output: processOutput, logger, setExit });
// Options are resolved once, by commander: command line > AIRLIFT_* > config file > default.
installSettings(program, { env: process.env, defaultConfigFile: DEFAULT_CONFIG_FILE });
exitOnUsageError(program);

await program.parseAsync(process.argv);
process.exitCode = exitCode;
