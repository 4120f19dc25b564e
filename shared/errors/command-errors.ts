import { AirliftError } from './airlift-error.js';
import { ErrorCode } from './codes.js';

/** An external command exited non-zero; exit code and stderr are kept. */
export class CommandFailedError extends AirliftError {
  readonly code = ErrorCode.CommandFailed;
  readonly exitCode: number | undefined;
  readonly stderr: string;
  constructor(command: string, exitCode: number | undefined, stderr: string, cause?: unknown) {
    const tail = stderr.trim().split('\n').slice(-5).join('\n');
    super(
      `${command} failed${exitCode === undefined ? '' : ` with exit code ${exitCode}`}${tail === '' ? '' : `: ${tail}`}`,
      { command },
      { cause },
    );
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** An external command ran past its timeout and was killed. */
export class CommandTimedOutError extends AirliftError {
  readonly code = ErrorCode.CommandTimedOut;
  constructor(command: string, timeoutMs: number, cause?: unknown) {
    super(`${command} did not finish within ${timeoutMs} ms and was stopped`, { command }, { cause });
  }
}

/** The executable is not on PATH. */
export class CommandNotFoundError extends AirliftError {
  readonly code = ErrorCode.CommandNotFound;
  constructor(command: string, cause?: unknown) {
    super(`${command} was not found: install it or put it on PATH`, { command }, { cause });
  }
}
