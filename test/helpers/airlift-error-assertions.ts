import assert from 'node:assert/strict';
import { AirliftError, type ErrorCode } from '../../shared/errors/index.js';

/** The error `action` rejects with; fails the test when it resolves. */
export async function rejectionOf(action: Promise<unknown>): Promise<unknown> {
  try {
    await action;
  } catch (err) {
    return err;
  }
  return assert.fail('expected a rejection, but the promise resolved');
}

/** The error `action` throws synchronously; fails the test when it returns. */
export function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (err) {
    return err;
  }
  return assert.fail('expected an exception, but the call returned');
}

/** Asserts `err` is an AirliftError of `type` with `code` whose message contains every fragment. */
export function assertAirliftError<T extends AirliftError>(
  err: unknown,
  type: abstract new (...args: never[]) => T,
  code: ErrorCode,
  fragments: readonly string[],
): T {
  assert.ok(err instanceof AirliftError, `expected an AirliftError, got: ${String(err)}`);
  assert.ok(err instanceof type, `expected ${type.name}, got ${err.name}: ${err.message}`);
  assert.equal(err.code, code, err.message);
  for (const fragment of fragments) {
    assert.ok(
      err.message.includes(fragment),
      `message ${JSON.stringify(err.message)} should mention ${JSON.stringify(fragment)}`,
    );
  }
  return err;
}

/** Awaits `action`, expecting it to reject with the given AirliftError; returns the error for further checks. */
export async function expectAirliftRejection<T extends AirliftError>(
  action: Promise<unknown>,
  type: abstract new (...args: never[]) => T,
  code: ErrorCode,
  fragments: readonly string[],
): Promise<T> {
  return assertAirliftError(await rejectionOf(action), type, code, fragments);
}
