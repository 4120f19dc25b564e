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
  /**
   * Run the command in a process group of its own. A terminal's Ctrl-C sends SIGINT to the whole
   * foreground group: a command that must not be cut short by it (`helm upgrade` half done leaves the
   * release pending-upgrade) is started outside that group, so only airlift decides when it stops
   * (its timeout, or `signal`). Such a command outlives airlift if airlift is killed with SIGKILL.
   */
  readonly ownProcessGroup?: boolean;
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
