import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { trackProcess } from './process-registry.js';

const KILL_TIMEOUT_MS = 5_000;
const LOG_TAIL_LINES = 40;

/** How a daemon process ended. */
export interface DaemonExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A long-running child process whose stdout and stderr go to a log file. */
export interface DaemonProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Settles when the process has exited and been reaped. */
  readonly exited: Promise<DaemonExit>;
  hasExited(): boolean;
  /** Sends SIGTERM, then SIGKILL after termTimeoutMs; resolves once the process is gone. */
  stop(termTimeoutMs: number): Promise<void>;
  /** The whole log so far; after the log file is deleted, what it held when last read. */
  logs(): string;
  /** The last lines of logs(), for error messages. */
  logTail(lines?: number): string;
}

/** What to run and where its output goes. */
export interface SpawnDaemonOptions {
  readonly name: string;
  /** Absolute path of the executable, as requireBinary returns it. */
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
}

/** Starts a daemon as a child of this process, registered so it is killed if the test run dies. */
export function spawnDaemon(options: SpawnDaemonOptions): DaemonProcess {
  const { name, command, args, logFile } = options;
  const child = spawnLoggingTo(logFile, command, args);
  const pid = child.pid;
  if (pid === undefined) {
    child.on('error', () => undefined);
    throw new Error(`could not start ${name} (${command})`);
  }
  const untrack = trackProcess(pid, name);
  let exit: DaemonExit | undefined;
  const exited = new Promise<DaemonExit>((resolve) => {
    child.once('exit', (code, signal) => {
      untrack();
      exit = { code, signal };
      resolve(exit);
    });
  });
  // An unreferenced child lets a test process that forgot stop() still exit; the exit hook then kills it.
  child.unref();

  let lastLogs = '';
  const logs = (): string => {
    if (existsSync(logFile)) lastLogs = readFileSync(logFile, 'utf8');
    return lastLogs;
  };

  const hasExited = (): boolean => exit !== undefined;
  const exitedWithin = async (ms: number): Promise<boolean> => {
    if (hasExited()) return true;
    const timeout = new AbortController();
    try {
      await Promise.race([exited, sleep(ms, undefined, { signal: timeout.signal })]);
    } finally {
      timeout.abort();
    }
    return hasExited();
  };

  return {
    name,
    pid,
    logFile,
    exited,
    hasExited,
    async stop(termTimeoutMs) {
      if (hasExited()) return;
      child.kill('SIGTERM');
      if (await exitedWithin(termTimeoutMs)) return;
      child.kill('SIGKILL');
      if (await exitedWithin(KILL_TIMEOUT_MS)) return;
      throw new Error(`${name} (pid ${pid}) still running ${KILL_TIMEOUT_MS} ms after SIGKILL`);
    },
    logs,
    logTail(lines = LOG_TAIL_LINES) {
      return logs().trimEnd().split('\n').slice(-lines).join('\n');
    },
  };
}

function spawnLoggingTo(logFile: string, command: string, args: readonly string[]): ChildProcess {
  // A file rather than a pipe: the daemon never blocks on a full pipe, and the log outlives us.
  const logFd = openSync(logFile, 'a');
  try {
    return spawn(command, args, { stdio: ['ignore', logFd, logFd], detached: false });
  } finally {
    closeSync(logFd);
  }
}

/** What waitUntilReady polls, and for how long. */
export interface ReadyProbe {
  /** Resolves true once the daemon serves requests; must not throw for "not yet". */
  readonly check: () => Promise<boolean>;
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Names the condition in the error, e.g. "`ctr version` to succeed". */
  readonly waitingFor: string;
}

/** Polls until the probe passes; throws with the daemon's log tail if it exits or the time runs out. */
export async function waitUntilReady(daemon: DaemonProcess, probe: ReadyProbe): Promise<void> {
  const started = Date.now();
  const interval = probe.intervalMs ?? 100;
  for (;;) {
    if (daemon.hasExited()) {
      const { code, signal } = await daemon.exited;
      throw new Error(
        `${daemon.name} exited (code ${String(code)}, signal ${String(signal)}) before ${probe.waitingFor}; ` +
          `log tail:\n${daemon.logTail()}`,
      );
    }
    // A probe can hang on a socket nobody will ever serve; a daemon that died ends the wait at once.
    const ready = await Promise.race([probe.check(), daemon.exited.then(() => false)]);
    if (ready) return;
    if (Date.now() - started > probe.timeoutMs) {
      throw new Error(
        `${daemon.name} (pid ${daemon.pid}) not ready after ${probe.timeoutMs} ms waiting for ` +
          `${probe.waitingFor}; log tail:\n${daemon.logTail()}`,
      );
    }
    await sleep(interval);
  }
}
