export { ExitCode, exitCodeFor } from './exit-codes.js';
export { formatBytes, formatDuration, shortDigest } from './format.js';
export { runCommand, processOutput, type CliOutput } from './run-command.js';
export { addNatsOptions, natsOptionsFrom, DEFAULT_NATS_URL, type NatsFlags } from './nats-options.js';
export {
  parseDuration,
  parseSize,
  parseRate,
  sizeBytes,
  rateBytesPerSecond,
  durationMs,
  sizeText,
  durationText,
  unitArg,
  durationOption,
  durationTextArg,
} from './units.js';
export { advertisedAddress } from './advertise.js';
export {
  addTrustOptions,
  resolveTrust,
  DEFAULT_IDENTITY_FILES,
  INSECURE_WARNING,
  type TrustFlags,
  type TrustSetup,
} from './trust-options.js';
export {
  completionScript,
  parseCompletionShell,
  COMPLETION_SHELLS,
  type CompletionShell,
} from './completion.js';
export { completionCommand } from './completion-command.js';
export {
  outputOption,
  parseOutputFormat,
  printStructured,
  OUTPUT_FORMATS,
  type OutputFormat,
} from './output-format.js';
