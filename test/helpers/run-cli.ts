import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { AIRLIFT_BIN } from './paths.js';
import { trackProcess } from './process-registry.js';

/** What one CLI run printed and how it exited. */
export interface CliRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `airlift` CLI as an operator would, bounded in time. */
export async function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const result = await execa(process.execPath, [AIRLIFT_BIN, ...args], {
    reject: false,
    timeout: 120_000,
    env,
    stdin: 'ignore',
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A CLI process a test signals while it runs. */
export interface RunningCli {
  readonly pid: number;
  /** What it printed so far. */
  stdout(): string;
  stderr(): string;
  /** Sends `signal` to the process only, as `kill` or systemd would. */
  signal(signal: NodeJS.Signals): void;
  /** Sends `signal` to its whole process group, as a terminal's Ctrl-C does. */
  signalGroup(signal: NodeJS.Signals): void;
  /** Resolves once stderr or stdout matches `pattern`; rejects after `timeoutMs` or if it exits first. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** Settles with how it ended; after `timeoutMs` the whole group is killed (SIGKILL) and it rejects. */
  exited(timeoutMs: number): Promise<CliRun>;
}

/**
 * Starts the built `airlift` CLI in a process group of its own (the test runner stays out of the way
 * of group signals), output collected; registered so the group dies with the test run.
 */
export function startCli(args: readonly string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, [AIRLIFT_BIN, ...args], {
    detached: true,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start airlift');
  const untrack = trackProcess(pid, 'airlift CLI');
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const done = new Promise<CliRun>((resolve) => {
    child.once('close', (code, signal) => {
      untrack();
      resolve({ exitCode: code ?? (signal === null ? -1 : 128), stdout: out, stderr: err });
    });
  });
  let ended = false;
  void done.then(() => (ended = true));
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  };
  return {
    pid,
    stdout: () => out,
    stderr: () => err,
    signal: (signal) => {
      child.kill(signal);
    },
    signalGroup: killGroup,
    waitForOutput: async (pattern, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(out) && !pattern.test(err)) {
        if (ended) throw new Error(`airlift exited before printing ${pattern}:\n${out}\n${err}`);
        if (Date.now() > deadline) throw new Error(`airlift did not print ${pattern}:\n${out}\n${err}`);
        await sleep(50);
      }
    },
    exited: async (timeoutMs) => {
      const timer = setTimeout(() => {
        killGroup('SIGKILL');
      }, timeoutMs);
      try {
        const run = await done;
        if (run.exitCode === 128 || run.exitCode === -1) {
          throw new Error(
            `airlift was killed or did not exit in ${timeoutMs} ms:\n${run.stdout}\n${run.stderr}`,
          );
        }
        return run;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
