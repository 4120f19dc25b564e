import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { whenAborted } from '../../../agent/async/index.js';

describe('whenAborted', () => {
  it('holds one listener on the signal however many callers wait on it, and runs them all on abort', () => {
    const controller = new AbortController();
    let fired = 0;
    for (let i = 0; i < 50; i++) whenAborted(controller.signal, () => fired++);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    controller.abort();
    assert.equal(fired, 50);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  it('leaves no listener behind after many calls that end without an abort', () => {
    const { signal } = new AbortController();
    for (let i = 0; i < 1000; i++) {
      const forgets = [whenAborted(signal, () => undefined), whenAborted(signal, () => undefined)];
      for (const forget of forgets) forget();
    }
    assert.equal(getEventListeners(signal, 'abort').length, 0);
    // And a new caller after all that still hears the abort.
    const controller = new AbortController();
    let fired = false;
    whenAborted(controller.signal, () => undefined)();
    whenAborted(controller.signal, () => (fired = true));
    controller.abort();
    assert.equal(fired, true);
  });

  it('a forgotten caller is not run on abort', () => {
    const controller = new AbortController();
    let fired = false;
    const forget = whenAborted(controller.signal, () => (fired = true));
    whenAborted(controller.signal, () => undefined);
    forget();
    controller.abort();
    assert.equal(fired, false);
  });
});
