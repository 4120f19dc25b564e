import type * as Execa from 'execa';
import type { Logger } from 'pino';
import { CommandFailedError, CommandNotFoundError, CommandTimedOutError } from '../errors/index.js';
import { DEFAULT_TIMEOUT_MS, type CommandRunner, type RunOptions, type RunResult } from './command-runner.js';
import { redact } from './redact.js';

// execa and its dependencies cost an agent about 8 MiB of RSS when loaded; an agent importing through
// containerd's API never runs a command, so it is loaded on the first one.
let execaModule: Promise<typeof Execa> | undefined;
const loadExeca = (): Promise<typeof Execa> => (execaModule ??= import('execa'));

/** CommandRunner on execa: no shell, a timeout always, abortable, exit code and stderr kept on failure. */
export class ExecaRunner implements CommandRunner {
  constructor(private readonly logger?: Logger) {}

  async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const secrets = options.secrets ?? [];
    const label = redact([file, ...args].join(' '), secrets);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const started = performance.now();
    this.logger?.debug(
      { command: label, timeoutMs, ownProcessGroup: options.ownProcessGroup === true },
      'running command',
    );
    const { execa } = await loadExeca();
    const result = await execa(file, [...args], {
      shell: false,
      reject: false,
      timeout: timeoutMs,
      ...(options.signal === undefined ? {} : { cancelSignal: options.signal }),
      ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.ownProcessGroup === true ? { detached: true } : {}),
      stripFinalNewline: true,
      maxBuffer: 64 * 1024 * 1024,
    });
    const durationMs = Math.round(performance.now() - started);
    const stderr = redact(result.stderr, secrets);
    if (!result.failed) {
      this.logger?.debug({ command: label, durationMs }, 'command finished');
      return { stdout: result.stdout, stderr, exitCode: result.exitCode ?? 0, durationMs };
    }
    const cause = new Error(
      redact(result.originalMessage ?? result.shortMessage ?? 'command failed', secrets),
    );
    if (result.timedOut) throw new CommandTimedOutError(label, timeoutMs, cause);
    if (result.isCanceled) throw new CommandFailedError(`${label} (aborted)`, result.exitCode, stderr, cause);
    if ((result as { code?: string }).code === 'ENOENT' || /ENOENT/.test(result.originalMessage ?? '')) {
      throw new CommandNotFoundError(file, cause);
    }
    throw new CommandFailedError(
      label,
      result.exitCode,
      stderr || redact(result.shortMessage ?? '', secrets),
      cause,
    );
  }
}
