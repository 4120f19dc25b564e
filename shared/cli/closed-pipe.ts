/** Whether `err` says the reader of a pipe went away (`airlift … | head -1`). */
export function isClosedPipe(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
}

/**
 * Ends the process quietly, with `exitCode()`, once stdout or stderr finds its reader gone: nobody is
 * left to read more output, and an unhandled 'error' event would print a stack trace instead.
 * Any other stream error is rethrown, as Node would have done without a listener.
 */
export function exitQuietlyOnClosedPipe(
  exitCode: () => number,
  streams: readonly NodeJS.WritableStream[] = [process.stdout, process.stderr],
): void {
  for (const stream of streams) {
    stream.on('error', (err: unknown) => {
      if (!isClosedPipe(err)) throw err;
      process.exit(exitCode());
    });
  }
}
