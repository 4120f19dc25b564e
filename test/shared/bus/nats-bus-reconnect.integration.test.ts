import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { Bus, BusStatus, KvEntry } from '../../../shared/bus/index.js';
import { connectBus } from '../../../shared/bus/index.js';
import { BusUnavailableError, ErrorCode } from '../../../shared/errors/index.js';
import { expectAirliftRejection } from '../../helpers/airlift-error-assertions.js';
import { startNats } from '../../helpers/nats-instance.js';
import type { NatsInstance } from '../../helpers/nats-instance.js';
import { capturedLogger, eventually, inbox, str, text } from './bus-test-kit.js';

void describe('NATS bus: server restart', { timeout: 90_000 }, () => {
  let nats: NatsInstance;
  let bus: Bus;
  const statuses: BusStatus[] = [];
  const log = capturedLogger();

  before(async () => {
    nats = await startNats();
    bus = await connectBus({ servers: [nats.url], reconnectTimeWaitMs: 100 }, log.logger);
    bus.onStatus((status) => statuses.push(status));
  });
  after(async () => {
    await bus.drain();
    await nats.stop();
  });

  void it('keeps subscriptions, requests, KV and KV watches working across a restart', async () => {
    const messages = inbox<string>();
    bus.subscribe('restart.events', (message) => {
      messages.push(str(message.data));
    });
    bus.subscribe('restart.echo', (message) => message.respond(message.data));
    const kv = await bus.kv('restart-kv', { history: 3 });
    await kv.put('node-1', text('before'));
    const watched = inbox<KvEntry>();
    const watch = await kv.watch(watched.push);
    assert.equal(str((await watched.next('initial value')).value), 'before');

    const pidBefore = nats.pid();
    await nats.restart({ downtimeMs: 500 });
    assert.notEqual(nats.pid(), pidBefore);
    await eventually('the bus to report reconnected', () => statuses.includes('reconnected'), 15_000);
    const disconnected = statuses.indexOf('disconnected');
    assert.ok(disconnected !== -1, `statuses: ${statuses.join(', ')}`);
    assert.ok(disconnected < statuses.indexOf('reconnected'), `statuses: ${statuses.join(', ')}`);
    assert.equal(bus.server, nats.url);

    bus.publish('restart.events', text('after restart'));
    assert.equal(await messages.next('message after the restart'), 'after restart');
    assert.equal(str(await bus.request('restart.echo', text('echo'), 2_000)), 'echo');

    assert.equal(str((await kv.get('node-1'))?.value ?? text('missing')), 'before', 'the store survived');
    await kv.put('node-1', text('after'));
    assert.equal(str((await kv.get('node-1'))?.value ?? text('missing')), 'after');
    const update = await watched.next('watched update after the restart', 15_000);
    assert.equal(str(update.value), 'after');
    watch.stop();
    assert.match(log.text(), /disconnected from NATS/);
    assert.match(log.text(), /reconnected to NATS/);
  });

  void it('rides out an outage: publishing neither throws nor blocks, flush says the link is down', async () => {
    const messages = inbox<string>();
    const sub = bus.subscribe('outage.events', (message) => {
      messages.push(str(message.data));
    });
    await bus.flush();
    const reconnects = statuses.filter((status) => status === 'reconnected').length;
    const restarting = nats.restart({ downtimeMs: 1_000 });
    await eventually('the bus to notice the outage', () => statuses.at(-1) !== 'reconnected', 5_000);
    // nats.js 3.3 clears its outbound buffer at each reconnect attempt: this may or may not arrive.
    bus.publish('outage.events', text('sent during the outage'));
    await expectAirliftRejection(bus.flush(), BusUnavailableError, ErrorCode.BusUnavailable, [
      'connection was lost',
    ]);
    await restarting;
    await eventually(
      'the bus to reconnect',
      () => statuses.filter((status) => status === 'reconnected').length > reconnects,
      15_000,
    );
    bus.publish('outage.events', text('sent after the outage'));
    await eventually('the message sent after the outage', () =>
      messages.pending().includes('sent after the outage'),
    );
    sub.unsubscribe();
  });
});

void describe('NATS bus: drain during an outage', { timeout: 30_000 }, () => {
  void it('closes the connection instead of failing or waiting for the server', async () => {
    const nats = await startNats({ jetstream: false });
    try {
      const bus = await connectBus({ servers: [nats.url], reconnectTimeWaitMs: 100 });
      const statuses: BusStatus[] = [];
      bus.onStatus((status) => statuses.push(status));
      const restarting = nats.restart({ downtimeMs: 3_000 });
      await eventually('the bus to notice the outage', () => statuses.includes('disconnected'), 5_000);
      const started = Date.now();
      await bus.drain();
      assert.ok(Date.now() - started < 2_000, `drain took ${Date.now() - started} ms`);
      assert.equal(statuses.at(-1), 'closed');
      await restarting;
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.ok(
        !statuses.includes('reconnected'),
        `a drained bus must not reconnect: ${statuses.join(', ')}`,
      );
    } finally {
      await nats.stop();
    }
  });
});
