import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BusKvError,
  BusRequestError,
  BusUnavailableError,
  ConfigInvalidError,
} from '../../shared/errors/index.js';
import type { KvEntry } from '../../shared/bus/bus.js';
import { MemoryNats, subjectMatches } from './memory-bus.js';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const str = (value: Uint8Array): string => new TextDecoder().decode(value);

describe('MemoryNats (the in-memory Bus used by unit tests)', { timeout: 10_000 }, () => {
  it('matches subjects with * (one token) and > (one or more trailing tokens)', () => {
    const cases: [string, string, boolean][] = [
      ['a.b.c', 'a.b.c', true],
      ['a.b.c', 'a.b', false],
      ['a.*.c', 'a.x.c', true],
      ['a.*.c', 'a.x.y.c', false],
      ['a.>', 'a.b', true],
      ['a.>', 'a.b.c.d', true],
      ['a.>', 'a', false],
      ['*', 'a', true],
      ['*', 'a.b', false],
      ['>', 'a.b', true],
    ];
    for (const [pattern, subject, expected] of cases)
      assert.equal(subjectMatches(pattern, subject), expected, `${pattern} ~ ${subject}`);
  });

  it('delivers to every matching subscription of every connection, asynchronously and in order', async () => {
    const nats = new MemoryNats();
    const a = nats.connect();
    const b = nats.connect();
    const got: string[] = [];
    a.subscribe('x.*', (m) => got.push(`a ${m.subject} ${str(m.data)}`));
    const sub = b.subscribe('x.>', (m) => got.push(`b ${m.subject} ${str(m.data)}`));
    a.publish('x.1', text('one'));
    a.publish('x.2', text('two'));
    assert.deepEqual(got, [], 'not delivered synchronously');
    await a.flush();
    assert.deepEqual(got, ['a x.1 one', 'b x.1 one', 'a x.2 two', 'b x.2 two']);
    sub.unsubscribe();
    sub.unsubscribe();
    a.publish('x.3', text('three'));
    await a.flush();
    assert.deepEqual(got.slice(4), ['a x.3 three'], 'only the remaining subscription got it');
    assert.throws(() => {
      a.publish('x.*', text(''));
    }, TypeError);
    assert.throws(() => a.subscribe('x.>.y', () => undefined), TypeError);
  });

  it('answers requests, and names no-responders and timeouts with BusRequestError', async () => {
    const nats = new MemoryNats();
    const client = nats.connect();
    const server = nats.connect();
    server.subscribe('svc.echo', (m) => {
      assert.equal(m.respond(text(`echo ${str(m.data)}`)), true);
    });
    server.subscribe('svc.mute', () => undefined);
    assert.equal(str(await client.request('svc.echo', text('hi'), 500)), 'echo hi');
    const none = await client.request('svc.nobody', text(''), 500).catch((e: unknown) => e);
    assert.ok(none instanceof BusRequestError && none.reason === 'no-responders', String(none));
    const slow = await client.request('svc.mute', text(''), 30).catch((e: unknown) => e);
    assert.ok(slow instanceof BusRequestError && slow.reason === 'timeout', String(slow));
    let plain = true;
    server.subscribe('svc.plain', (m) => (plain = m.respond(text('x'))));
    client.publish('svc.plain', text(''));
    await client.flush();
    assert.equal(plain, false, 'respond() is false for a message that was not a request');
  });

  it('a disconnected connection neither sends nor receives; reconnect() resumes and reports', async () => {
    const nats = new MemoryNats();
    const a = nats.connect();
    const b = nats.connect();
    const got: string[] = [];
    b.subscribe('t', (m) => got.push(str(m.data)));
    b.onStatus((s) => got.push(`status ${s}`));
    b.disconnect();
    a.publish('t', text('lost'));
    await a.flush();
    const kv = await b.kv('bucket');
    await assert.rejects(kv.put('k', text('v')), BusKvError);
    await assert.rejects(b.flush(), BusUnavailableError);
    b.reconnect();
    a.publish('t', text('kept'));
    await a.flush();
    assert.deepEqual(got, ['status disconnected', 'status reconnecting', 'status reconnected', 'kept']);
  });

  it('drain() closes the connection once, reports closed, and refuses further use', async () => {
    const nats = new MemoryNats();
    const bus = nats.connect();
    const statuses: string[] = [];
    bus.onStatus((s) => statuses.push(s));
    bus.subscribe('t', () => undefined);
    const first = bus.drain();
    assert.equal(bus.drain(), first);
    await first;
    assert.deepEqual(statuses, ['closed']);
    assert.equal(nats.interest('t'), 0);
    assert.throws(() => {
      bus.publish('t', text(''));
    }, BusUnavailableError);
    await assert.rejects(bus.request('t', text(''), 10), BusUnavailableError);
  });

  it('keeps KV revisions, history, deletes and watches like JetStream KV', async () => {
    const nats = new MemoryNats();
    const bus = nats.connect();
    await assert.rejects(bus.kv('b', { history: 65 }), ConfigInvalidError);
    const kv = await bus.kv('b', { history: 2 });
    const r1 = await kv.put('k', text('1'));
    const r2 = await kv.put('other', text('x'));
    const r3 = await kv.put('k', text('2'));
    assert.ok(r1 < r2 && r2 < r3, 'one revision counter per bucket');
    await kv.put('k', text('3'));
    assert.deepEqual(
      (await kv.history('k')).map((e) => str(e.value)),
      ['2', '3'],
    );
    assert.equal(str((await kv.get('k'))?.value ?? text('')), '3');
    const seen: KvEntry[] = [];
    const watch = await kv.watch((e) => seen.push(e));
    assert.deepEqual(
      seen.map((e) => e.key),
      ['other', 'k'],
      'current values first, by revision',
    );
    await kv.delete('other');
    assert.equal(await kv.get('other'), undefined);
    assert.deepEqual(await kv.keys(), ['k']);
    await bus.flush();
    assert.deepEqual(
      seen.map((e) => `${e.key} ${e.operation}`),
      ['other PUT', 'k PUT', 'other DEL'],
    );
    watch.stop();
    await kv.put('k', text('4'));
    await bus.flush();
    assert.equal(seen.length, 3);
    const again = await nats.connect().kv('b', { history: 10 });
    assert.equal(str((await again.get('k'))?.value ?? text('')), '4', 'one bucket per name on the server');
    await assert.rejects(kv.put('bad key', text('')), BusKvError);
    nats.failKv({ bucket: 'b', op: 'put' });
    await assert.rejects(kv.put('k', text('5')), /injected failure/);
    await kv.put('k', text('6'));
  });
});
