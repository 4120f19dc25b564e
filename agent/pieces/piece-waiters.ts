interface Waiter {
  resolve(): void;
  reject(reason: Error): void;
}

/** Callers parked until a given piece arrives; woken by index, or all failed at once when the store closes. */
export class PieceWaiters {
  private readonly waiting = new Map<number, Set<Waiter>>();
  private failure: Error | undefined;

  /** Resolves on wake(index); rejects with the abort reason, or with the failAll() error. */
  wait(index: number, signal?: AbortSignal): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    return new Promise<void>((resolve, reject) => {
      let set = this.waiting.get(index);
      if (set === undefined) {
        set = new Set();
        this.waiting.set(index, set);
      }
      const onAbort = (): void => {
        this.forget(index, waiter);
        reject(signal?.reason as Error);
      };
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (reason) => {
          signal?.removeEventListener('abort', onAbort);
          reject(reason);
        },
      };
      set.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Piece `index` is present: resolves everyone waiting for it. */
  wake(index: number): void {
    const set = this.waiting.get(index);
    if (set === undefined) return;
    this.waiting.delete(index);
    for (const waiter of set) waiter.resolve();
  }

  /** Rejects every current and future wait with `reason`. */
  failAll(reason: Error): void {
    this.failure = reason;
    const sets = [...this.waiting.values()];
    this.waiting.clear();
    for (const set of sets) for (const waiter of set) waiter.reject(reason);
  }

  /** How many callers are parked (for tests and diagnostics). */
  get size(): number {
    let n = 0;
    for (const set of this.waiting.values()) n += set.size;
    return n;
  }

  private forget(index: number, waiter: Waiter): void {
    const set = this.waiting.get(index);
    set?.delete(waiter);
    if (set?.size === 0) this.waiting.delete(index);
  }
}
