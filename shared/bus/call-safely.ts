/**
 * Calls a callback handed to the bus with one argument and reports what it throws, or what the promise
 * it returns rejects with, to `onError`: callers' bugs must never reach the client's dispatch loop.
 */
export function callSafely<T>(
  callback: (value: T) => unknown,
  value: T,
  onError: (error: unknown) => void,
): void {
  try {
    // Typed as returning void, but an async function fits that type too.
    const result = callback(value);
    if (result instanceof Promise) result.catch(onError);
  } catch (error) {
    onError(error);
  }
}
