import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { execa } from 'execa';

import { connectBus } from '../../../shared/bus/index.js';
import { isAlive } from '../../helpers/dir-leftovers.js';
import { startNats } from '../../helpers/nats-instance.js';
import { eventually, str, text } from './bus-test-kit.js';

const ABANDON_SCRIPT = fileURLToPath(new URL('./abandon-nats.js', import.meta.url));

void describe('startNats', { timeout: 60_000 }, () => {
  void it('serves JetStream on its own port and leaves no process or dir when stopped twice', async () => {
    const nats = await startNats();
    const pid = nats.pid();
    try {
      assert.match(nats.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(nats.url, `nats://127.0.0.1:${nats.port}`);
      assert.ok(isAlive(pid));
      assert.ok(existsSync(nats.dir));
      assert.match(nats.logs(), /Starting JetStream/);
    } finally {
      await nats.stop();
    }
    await eventually('nats-server to be gone', () => !isAlive(pid), 2_000);
    assert.equal(existsSync(nats.dir), false, `${nats.dir} still exists`);
    await nats.stop();
    assert.match(nats.logs(), /Server is ready/, 'logs survive the removed dir');
    await assert.rejects(nats.restart(), /stopped/);
  });

  void it('restarts on the same port with the same store', async () => {
    const nats = await startNats();
    try {
      const bus = await connectBus({ servers: [nats.url] });
      await (await bus.kv('kept')).put('k', text('v'));
      await bus.drain();

      const firstPid = nats.pid();
      await nats.restart();
      assert.ok(!isAlive(firstPid), 'the first server is gone');
      assert.ok(isAlive(nats.pid()));

      const again = await connectBus({ servers: [nats.url] });
      try {
        assert.equal(str((await (await again.kv('kept')).get('k'))?.value ?? text('missing')), 'v');
      } finally {
        await again.drain();
      }
      assert.equal(nats.logs().match(/Server is ready/g)?.length, 2, 'one log across both runs');
    } finally {
      await nats.stop();
    }
  });

  void it('runs two instances side by side', async () => {
    const [a, b] = await Promise.all([startNats({ jetstream: false }), startNats({ jetstream: false })]);
    try {
      assert.notEqual(a.port, b.port);
      assert.notEqual(a.dir, b.dir);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    assert.ok(!isAlive(a.pid()) && !isAlive(b.pid()));
  });

  void it('kills the server and deletes its dir when the test process dies without stopping it', async () => {
    const result = await execa(process.execPath, [ABANDON_SCRIPT], { reject: false, timeout: 30_000 });
    assert.notEqual(result.exitCode, 0);
    assert.match(result.stderr, /abandoning nats-server on purpose/);
    const abandoned = JSON.parse(result.stdout) as { pids: number[]; dir: string };
    await eventually(
      'abandoned nats-server processes to be gone',
      () => !abandoned.pids.some(isAlive),
      2_000,
    );
    assert.equal(existsSync(abandoned.dir), false, `${abandoned.dir} still exists`);
  });
});
