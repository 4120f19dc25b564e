import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { Bus, KvEntry } from '../../../shared/bus/index.js';
import { connectBus } from '../../../shared/bus/index.js';
import { BusKvError, ConfigInvalidError, ErrorCode } from '../../../shared/errors/index.js';
import { expectAirliftRejection } from '../../helpers/airlift-error-assertions.js';
import { startNats } from '../../helpers/nats-instance.js';
import type { NatsInstance } from '../../helpers/nats-instance.js';
import { capturedLogger, eventually, inbox, str, text } from './bus-test-kit.js';

const summary = (entry: KvEntry): string => `${entry.operation} ${entry.key}=${str(entry.value)}`;

void describe('NATS bus: KV buckets', { timeout: 60_000 }, () => {
  let nats: NatsInstance;
  let bus: Bus;
  const log = capturedLogger();

  before(async () => {
    nats = await startNats();
    bus = await connectBus({ servers: [nats.url] }, log.logger);
  });
  after(async () => {
    await bus.drain();
    await nats.stop();
  });

  void it('puts, gets, deletes and lists keys', async () => {
    const kv = await bus.kv('basic', { history: 5 });
    assert.equal(kv.bucket, 'basic');
    const first = await kv.put('node-1', text('a'));
    const second = await kv.put('node-2', text('b'));
    assert.ok(second > first, 'revisions grow');

    const entry = await kv.get('node-1');
    assert.ok(entry !== undefined);
    assert.equal(str(entry.value), 'a');
    assert.equal(entry.revision, first);
    assert.equal(entry.operation, 'PUT');
    assert.ok(entry.created instanceof Date && Math.abs(entry.created.getTime() - Date.now()) < 60_000);
    assert.equal(await kv.get('never-written'), undefined);

    await kv.delete('node-2');
    assert.equal(await kv.get('node-2'), undefined, 'a deleted key reads as absent');
    assert.deepEqual((await kv.keys()).sort(), ['node-1']);
    assert.deepEqual(await (await bus.kv('empty-bucket')).keys(), []);
  });

  void it('keeps the history of a key, oldest first, deletes included', async () => {
    const kv = await bus.kv('history', { history: 3 });
    for (const value of ['1', '2', '3', '4']) await kv.put('k', text(value));
    await kv.put('other', text('x'));
    assert.deepEqual((await kv.history('k')).map(summary), ['PUT k=2', 'PUT k=3', 'PUT k=4']);
    await kv.delete('k');
    const history = await kv.history('k');
    assert.deepEqual(
      history.map((entry) => entry.operation),
      ['PUT', 'PUT', 'DEL'],
    );
    const revisions = history.map((entry) => entry.revision);
    assert.deepEqual(
      revisions,
      [...revisions].sort((a, b) => a - b),
    );
    assert.deepEqual(await kv.history('never-written'), []);
  });

  void it('watches: current values first (deleted keys left out), then every change, until stopped', async () => {
    const kv = await bus.kv('watched');
    await kv.put('a', text('1'));
    await kv.put('b', text('2'));
    await kv.put('gone', text('x'));
    await kv.delete('gone');

    const seen = inbox<KvEntry>();
    const watch = await kv.watch(seen.push);
    // watch() resolves once the current values have been handed over.
    assert.deepEqual(seen.pending().map(summary), ['PUT a=1', 'PUT b=2']);
    await seen.next('a');
    await seen.next('b');

    await kv.put('a', text('3'));
    assert.equal(summary(await seen.next('update of a')), 'PUT a=3');
    await kv.delete('b');
    const deleted = await seen.next('delete of b');
    assert.equal(deleted.operation, 'DEL');
    assert.equal(deleted.key, 'b');

    watch.stop();
    watch.stop();
    await kv.put('a', text('after stop'));
    await bus.flush();
    await assert.rejects(seen.next('anything after stop', 300), /no anything after stop/);
  });

  void it('watches an empty bucket: resolves at once, then sees the first put', async () => {
    const kv = await bus.kv('watched-empty');
    const seen = inbox<KvEntry>();
    const watch = await kv.watch(seen.push);
    try {
      assert.deepEqual(seen.pending(), []);
      await kv.put('first', text('1'));
      assert.equal(summary(await seen.next('first put')), 'PUT first=1');
    } finally {
      watch.stop();
    }
  });

  void it('keeps watching when the callback throws', async () => {
    const kv = await bus.kv('watched-throwing');
    const seen = inbox<string>();
    const watch = await kv.watch((entry) => {
      seen.push(entry.key);
      if (entry.key === 'bad') throw new Error('watcher bug');
    });
    try {
      await kv.put('bad', text(''));
      await kv.put('good', text(''));
      assert.equal(await seen.next('bad'), 'bad');
      assert.equal(await seen.next('good'), 'good');
      assert.match(log.text(), /watcher bug/);
    } finally {
      watch.stop();
    }
  });

  void it('opens an existing bucket as it is, and warns when asked for other settings', async () => {
    const created = await bus.kv('settled', { history: 2 });
    await created.put('k', text('v'));
    const reopened = await bus.kv('settled', { history: 10 });
    assert.equal(str((await reopened.get('k'))?.value ?? new Uint8Array()), 'v');
    for (const value of ['1', '2', '3']) await reopened.put('k', text(value));
    assert.equal((await reopened.history('k')).length, 2, 'the bucket keeps its own history depth');
    assert.match(log.text(), /KV bucket exists with other settings/);
  });

  void it('drops entries older than maxAgeMs', async () => {
    const kv = await bus.kv('short-lived', { maxAgeMs: 300 });
    await kv.put('k', text('v'));
    assert.ok((await kv.get('k')) !== undefined);
    await eventually('the entry to expire', async () => (await kv.get('k')) === undefined, 10_000);
  });

  void it('refuses bad settings and bad names before touching the server', async () => {
    await expectAirliftRejection(bus.kv('x', { history: 0 }), ConfigInvalidError, ErrorCode.ConfigInvalid, [
      'history',
    ]);
    await expectAirliftRejection(bus.kv('x', { history: 65 }), ConfigInvalidError, ErrorCode.ConfigInvalid, [
      'history',
    ]);
    await expectAirliftRejection(bus.kv('bad name'), BusKvError, ErrorCode.BusKvFailed, ['bad name']);
  });
});

void describe('NATS bus: KV without JetStream', { timeout: 30_000 }, () => {
  let nats: NatsInstance;
  before(async () => {
    nats = await startNats({ jetstream: false });
  });
  after(async () => {
    await nats.stop();
  });

  void it('says JetStream must be enabled', async () => {
    const bus = await connectBus({ servers: [nats.url] });
    try {
      const err = await expectAirliftRejection(bus.kv('fleet'), BusKvError, ErrorCode.BusKvFailed, [
        'JetStream is not enabled',
        '-js',
      ]);
      assert.equal(err.bucket, 'fleet');
    } finally {
      await bus.drain();
    }
  });
});
