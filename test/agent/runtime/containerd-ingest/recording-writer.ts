import type { ContainerdWriter } from '../../../../agent/runtime/containerd-ingest/index.js';

/** Calls made through a ContainerdWriter, by method name, with when they were made. */
export interface CallLog {
  readonly calls: { readonly method: string; readonly at: number; readonly args: readonly unknown[] }[];
  count(method: string): number;
}

/** Wraps `api` (and every leased view of it) so a test sees which calls an import made. */
export function recordingWriter(
  api: ContainerdWriter,
  log: CallLog = newLog(),
): { api: ContainerdWriter; log: CallLog } {
  const wrapped = new Proxy(api, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const method = String(property);
      return (...args: unknown[]) => {
        log.calls.push({ method, at: performance.now(), args });
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        return method === 'withLease' ? recordingWriter(result as ContainerdWriter, log).api : result;
      };
    },
  });
  return { api: wrapped, log };
}

function newLog(): CallLog {
  const calls: CallLog['calls'] = [];
  return { calls, count: (method) => calls.filter((call) => call.method === method).length };
}
