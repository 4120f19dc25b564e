import type { Readable } from 'node:stream';

/** How one command runs. */
export interface RunOptions {
  /** Kill the command after this long. Every command has one; see DEFAULT_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Bytes or a stream fed to stdin (e.g. images.tar into `ctr images import -`). */
  readonly input?: Readable | Buffer | string;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Strings (passwords, tokens) replaced by `[redacted]` in every error message and log line. */
  readonly secrets?: readonly string[];
}

/** What a finished command printed. */
export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  readonly durationMs: number;
}

/** The one way airlift runs external programs: argument arrays, never a shell. */
export interface CommandRunner {
  /** Runs `file args…`; resolves on exit 0, otherwise rejects with a CommandFailedError-family error. */
  run(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
}

/** Ten minutes: long enough for `helm upgrade --wait`; imports pass their own. */
export const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
