import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { RunLock } from '../../../coordinator/upgrade/run-lock.js';
import { ErrorCode, hasErrorCode } from '../../../shared/errors/index.js';
import { silentLogger } from '../../../shared/logging/index.js';
import { MemoryNats } from '../../helpers/memory-bus.js';

describe('RunLock: one upgrade at a time', { timeout: 10_000 }, () => {
  it('refuses a second run while the first holds the fleet, naming it, and lets it in once released', async () => {
    const nats = new MemoryNats();
    const first = await RunLock.acquire(nats.connect('a'), 'r-first', silentLogger());
    await assert.rejects(RunLock.acquire(nats.connect('b'), 'r-second', silentLogger()), (err: unknown) => {
      assert.ok(hasErrorCode(err, ErrorCode.RunLocked));
      assert.match(err.message, /run r-first holds the fleet/);
      return true;
    });
    await first.release();
    await first.release();
    const second = await RunLock.acquire(nats.connect('b'), 'r-second', silentLogger());
    await second.release();
  });

  it('keeps the lease alive while the run goes on, and lets a new run take a lapsed one', async () => {
    const nats = new MemoryNats();
    const timing = { ttlMs: 300, renewMs: 50 };
    const live = await RunLock.acquire(nats.connect('a'), 'r-live', silentLogger(), timing);
    await sleep(500);
    await assert.rejects(
      RunLock.acquire(nats.connect('b'), 'r-other', silentLogger(), timing),
      /r-live holds/,
    );
    await live.release();

    // A coordinator that died: its lease is never renewed, nor released.
    const dead = await RunLock.acquire(nats.connect('c'), 'r-dead', silentLogger(), {
      ttlMs: 200,
      renewMs: 10_000,
    });
    await assert.rejects(
      RunLock.acquire(nats.connect('b'), 'r-next', silentLogger(), timing),
      /r-dead holds/,
    );
    await sleep(300);
    const next = await RunLock.acquire(nats.connect('b'), 'r-next', silentLogger(), timing);
    // The dead one's release must not free the lease the new run holds now.
    await dead.release();
    await assert.rejects(
      RunLock.acquire(nats.connect('d'), 'r-third', silentLogger(), timing),
      /r-next holds/,
    );
    await next.release();
  });
});
