import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WriteWindow } from '../../../shared/data-plane/write-window.js';

describe('WriteWindow', () => {
  it(
    'lets writes through below the limit and holds them at it until bytes go out',
    { timeout: 5000 },
    async () => {
      const window = new WriteWindow(100);
      const never = new AbortController().signal;
      window.add(99);
      await window.room(never);
      window.add(1);
      let released = false;
      const waiting = window.room(never).then(() => {
        released = true;
      });
      await Promise.resolve();
      assert.equal(released, false);
      window.done(1);
      await waiting;
      assert.equal(released, true);
    },
  );

  it('rejects a waiting writer when its signal aborts', { timeout: 5000 }, async () => {
    const window = new WriteWindow(10);
    const controller = new AbortController();
    window.add(10);
    const waiting = window.room(controller.signal);
    controller.abort(new Error('client went away'));
    await assert.rejects(waiting, /client went away/);
    await assert.rejects(window.room(controller.signal), /client went away/);
  });
});
