/**
 * Bytes handed to a gRPC call but not yet written to HTTP/2. grpc-js only pushes back after 16 queued
 * messages (16 MiB at 1 MiB chunks) per call; counting bytes instead bounds what each slow client pins
 * in the server's memory, which matters once a hundred nodes fetch at once.
 */
export class WriteWindow {
  private bytes = 0;
  private wake: (() => void) | undefined;

  constructor(private readonly limit: number) {}

  /** `n` more bytes were handed to the call. */
  add(n: number): void {
    this.bytes += n;
  }

  /** `n` bytes of earlier writes have gone out. */
  done(n: number): void {
    this.bytes -= n;
    if (this.bytes < this.limit) {
      const wake = this.wake;
      this.wake = undefined;
      wake?.();
    }
  }

  /** Resolves once fewer than `limit` bytes are in flight; rejects with the reason when `signal` aborts. */
  async room(signal: AbortSignal): Promise<void> {
    if (this.bytes < this.limit) return;
    signal.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.wake = undefined;
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
    });
  }
}
