import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { Bus, BusMessage, BusStatus } from '../../../shared/bus/index.js';
import { connectBus } from '../../../shared/bus/index.js';
import { BusRequestError, BusUnavailableError, ErrorCode } from '../../../shared/errors/index.js';
import {
  expectAirliftRejection,
  assertAirliftError,
  thrownBy,
} from '../../helpers/airlift-error-assertions.js';
import { startNats } from '../../helpers/nats-instance.js';
import type { NatsInstance } from '../../helpers/nats-instance.js';
import { capturedLogger, inbox, str, text } from './bus-test-kit.js';

void describe('NATS bus: publish, subscribe, request', { timeout: 60_000 }, () => {
  let nats: NatsInstance;
  let bus: Bus;
  const log = capturedLogger();

  before(async () => {
    nats = await startNats({ jetstream: false });
    bus = await connectBus({ servers: [nats.url], name: 'airlift-test' }, log.logger);
  });
  after(async () => {
    await bus.drain();
    await nats.stop();
  });

  void it('names the server it uses, without credentials', () => {
    assert.equal(bus.server, nats.url);
  });

  void it('delivers published messages to subscribers, wildcards included', async () => {
    const exact = inbox<BusMessage>();
    const wildcard = inbox<BusMessage>();
    const subs = [bus.subscribe('ps.one', exact.push), bus.subscribe('ps.>', wildcard.push)];
    try {
      bus.publish('ps.one', text('hello'));
      await bus.flush();
      const got = await exact.next('message on ps.one');
      assert.equal(got.subject, 'ps.one');
      assert.equal(str(got.data), 'hello');
      assert.equal(got.respond(text('nobody asked')), false, 'a publish has no reply subject');
      assert.equal((await wildcard.next('message on ps.>')).subject, 'ps.one');
    } finally {
      for (const sub of subs) sub.unsubscribe();
    }
  });

  void it('stops delivering after unsubscribe, which may be called twice', async () => {
    const got = inbox<BusMessage>();
    const barrier = inbox<BusMessage>();
    const sub = bus.subscribe('unsub.test', got.push);
    const barrierSub = bus.subscribe('unsub.barrier', barrier.push);
    sub.unsubscribe();
    sub.unsubscribe();
    bus.publish('unsub.test', text('late'));
    // One connection's messages arrive in order: once the barrier is here, the other would have been.
    bus.publish('unsub.barrier', text(''));
    await barrier.next('barrier message');
    barrierSub.unsubscribe();
    assert.deepEqual(got.pending(), []);
  });

  void it('answers requests', async () => {
    const sub = bus.subscribe('svc.echo', (message) => {
      assert.equal(message.respond(text(`echo ${str(message.data)}`)), true);
    });
    try {
      assert.equal(str(await bus.request('svc.echo', text('ping'), 2_000)), 'echo ping');
    } finally {
      sub.unsubscribe();
    }
  });

  void it('rejects a request nobody listens to, saying so', async () => {
    const err = await expectAirliftRejection(
      bus.request('svc.nobody', text('x'), 2_000),
      BusRequestError,
      ErrorCode.BusRequestFailed,
      ['svc.nobody', 'no agent listens'],
    );
    assert.equal(err.reason, 'no-responders');
    assert.equal(err.context.subject, 'svc.nobody');
  });

  void it('rejects a request whose responder is too slow with a timeout', async () => {
    const sub = bus.subscribe('svc.slow', (message) => {
      setTimeout(() => message.respond(text('too late')), 1_000).unref();
    });
    try {
      const started = Date.now();
      const err = await expectAirliftRejection(
        bus.request('svc.slow', text('x'), 200),
        BusRequestError,
        ErrorCode.BusRequestFailed,
        ['svc.slow', '200 ms'],
      );
      assert.equal(err.reason, 'timeout');
      assert.ok(Date.now() - started < 900, 'the timeout, not the responder, ended the request');
    } finally {
      sub.unsubscribe();
    }
  });

  void it('survives subscriber callbacks that throw or reject', async () => {
    const delivered = inbox<string>();
    const subs = [
      bus.subscribe('boom', () => {
        throw new Error('subscriber bug');
      }),
      // eslint-disable-next-line @typescript-eslint/no-misused-promises -- on purpose: the bus must cope
      bus.subscribe('boom', async () => {
        await Promise.resolve();
        throw new Error('async subscriber bug');
      }),
      bus.subscribe('boom', (message) => {
        delivered.push(str(message.data));
      }),
      bus.subscribe('svc.after-boom', (message) => message.respond(text('still here'))),
    ];
    try {
      bus.publish('boom', text('1'));
      bus.publish('boom', text('2'));
      assert.equal(await delivered.next('first message'), '1');
      assert.equal(await delivered.next('second message'), '2');
      assert.equal(str(await bus.request('svc.after-boom', text(''), 2_000)), 'still here');
      assert.match(log.text(), /subscriber bug/);
      assert.match(log.text(), /async subscriber bug/);
    } finally {
      for (const sub of subs) sub.unsubscribe();
    }
  });
});

void describe('NATS bus: drain', { timeout: 30_000 }, () => {
  let nats: NatsInstance;
  before(async () => {
    nats = await startNats({ jetstream: false });
  });
  after(async () => {
    await nats.stop();
  });

  void it('delivers what was published, closes once, and may be called again', async () => {
    const bus = await connectBus({ servers: [nats.url] });
    const statuses: BusStatus[] = [];
    bus.onStatus((status) => statuses.push(status));
    const got = inbox<string>();
    bus.subscribe('drain.test', (message) => {
      got.push(str(message.data));
    });
    bus.publish('drain.test', text('before drain'));
    await Promise.all([bus.drain(), bus.drain()]);
    await bus.drain();
    assert.equal(await got.next('message published before the drain'), 'before drain');
    assert.deepEqual(statuses, ['closed']);

    const published = thrownBy(() => {
      bus.publish('drain.test', text('after'));
    });
    assertAirliftError(published, BusUnavailableError, ErrorCode.BusUnavailable, ['closed', nats.url]);
    await expectAirliftRejection(
      bus.request('x', text(''), 100),
      BusUnavailableError,
      ErrorCode.BusUnavailable,
      ['closed'],
    );
    await expectAirliftRejection(bus.flush(), BusUnavailableError, ErrorCode.BusUnavailable, ['closed']);
  });

  void it('a status listener that throws does not disturb the others', async () => {
    const bus = await connectBus({ servers: [nats.url] });
    const statuses: BusStatus[] = [];
    bus.onStatus(() => {
      throw new Error('listener bug');
    });
    bus.onStatus((status) => statuses.push(status));
    await bus.drain();
    assert.deepEqual(statuses, ['closed']);
  });
});
