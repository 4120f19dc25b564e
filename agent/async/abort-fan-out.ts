interface FanOut {
  readonly handlers: Set<() => void>;
  readonly fire: () => void;
}

// One real listener per signal, shared by every caller waiting on it at the moment.
const fanOuts = new WeakMap<AbortSignal, FanOut>();

/**
 * Runs `onAbort` when `signal` aborts, until the returned function is called. However many calls
 * share a signal at once (a job's signal across dozens of concurrent containerd calls), the signal
 * holds one listener: one per call tripped MaxListenersExceededWarning at 11 after every job.
 */
export function whenAborted(signal: AbortSignal | undefined, onAbort: () => void): () => void {
  if (signal === undefined || signal.aborted) return () => undefined;
  let fanOut = fanOuts.get(signal);
  if (fanOut === undefined) {
    const handlers = new Set<() => void>();
    const fire = (): void => {
      fanOuts.delete(signal);
      for (const handler of handlers) handler();
    };
    fanOut = { handlers, fire };
    fanOuts.set(signal, fanOut);
    signal.addEventListener('abort', fire, { once: true });
  }
  // A wrapper, so the same function registered twice is still two registrations.
  const registration = (): void => {
    onAbort();
  };
  const { handlers, fire } = fanOut;
  handlers.add(registration);
  return () => {
    handlers.delete(registration);
    if (handlers.size > 0 || fanOuts.get(signal) !== fanOut) return;
    fanOuts.delete(signal);
    signal.removeEventListener('abort', fire);
  };
}
