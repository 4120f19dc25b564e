// Last line of defence for test runs that fail, throw or get interrupted before they stop what they
// started: at process exit (and on SIGINT/SIGTERM/SIGHUP) every process still registered here is
// killed and every registered cleanup runs. All of it is synchronous because 'exit' listeners cannot
// wait for promises. A SIGKILL of the test process itself cannot be caught; nothing here helps then.

const processes = new Map<number, string>();
const cleanups = new Set<() => void>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let hooksInstalled = false;

/** Registers a running process to be SIGKILLed at exit; call the returned function once it has exited. */
export function trackProcess(pid: number, name: string): () => void {
  installHooks();
  processes.set(pid, name);
  return () => {
    processes.delete(pid);
  };
}

/** Registers a synchronous cleanup to run at exit after tracked processes are killed; returns its undo. */
export function onEmergencyCleanup(cleanup: () => void): () => void {
  installHooks();
  // Wrap so registering the same function twice still gives two independent entries.
  const entry = (): void => {
    cleanup();
  };
  cleanups.add(entry);
  return () => {
    cleanups.delete(entry);
  };
}

function runEmergencyCleanup(): void {
  for (const [pid, name] of processes) {
    try {
      process.kill(pid, 'SIGKILL');
      // Normally a test stops what it starts; saying so points at the test that did not.
      process.stderr.write(`test harness: killed ${name} (pid ${pid}), still running at exit\n`);
    } catch {
      // Already gone.
    }
  }
  processes.clear();
  // Newest first: a cleanup registered later may depend on state an earlier one would remove.
  const pending = [...cleanups].reverse();
  cleanups.clear();
  for (const cleanup of pending) {
    try {
      cleanup();
    } catch {
      // Keep going: one failed cleanup must not leave the others' leftovers behind.
    }
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', runEmergencyCleanup);
  for (const signal of SIGNALS) {
    const onSignal = (): void => {
      runEmergencyCleanup();
      // Listening to a signal cancels Node's default of dying from it. When another listener exists
      // (node:test turns SIGINT/SIGTERM into an orderly exit) leave the decision to it; otherwise
      // restore the default and re-raise so the exit status still says which signal ended the run.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}
