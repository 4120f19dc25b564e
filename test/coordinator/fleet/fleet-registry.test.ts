import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { FleetRegistry } from '../../../coordinator/fleet/index.js';
import type { KvStore } from '../../../shared/bus/bus.js';
import { Buckets, encodeMessage } from '../../../shared/control/index.js';
import { capturedLogger } from '../../shared/bus/bus-test-kit.js';
import { MemoryNats, type MemoryBus } from '../../helpers/memory-bus.js';
import { heartbeat } from '../../shared/control/control-fixtures.js';

describe('FleetRegistry', { timeout: 10_000 }, () => {
  let bus: MemoryBus;
  let kv: KvStore;

  beforeEach(async () => {
    const nats = new MemoryNats();
    bus = nats.connect('coordinator');
    kv = await nats.connect('agents').kv(Buckets.fleet);
  });

  it('lists every agent sorted by node name, judged at the given time', async () => {
    const now = Date.now();
    for (const node of ['node-c', 'node-a', 'node-b'])
      await kv.put(node, encodeMessage(heartbeat({ node, sentAt: new Date(now).toISOString() })));
    const registry = await FleetRegistry.open(bus);
    const rows = await registry.list(now);
    assert.deepEqual(
      rows.map((r) => [r.node, r.health]),
      [
        ['node-a', 'healthy'],
        ['node-b', 'healthy'],
        ['node-c', 'healthy'],
      ],
    );
    const later = await registry.list(now + 5000);
    assert.deepEqual(
      later.map((r) => r.health),
      ['stale', 'stale', 'stale'],
    );
  });

  it('uses the latest heartbeat of a node and leaves deleted nodes out', async () => {
    await kv.put('node-a', encodeMessage(heartbeat({ node: 'node-a', state: 'busy' })));
    await kv.put('node-a', encodeMessage(heartbeat({ node: 'node-a', state: 'ready' })));
    await kv.put('node-b', encodeMessage(heartbeat({ node: 'node-b' })));
    await kv.delete('node-b');
    const registry = await FleetRegistry.open(bus);
    const rows = await registry.list();
    assert.deepEqual(
      rows.map((r) => [r.node, r.heartbeat.state]),
      [['node-a', 'ready']],
    );
    assert.equal(await registry.get('node-b'), undefined);
    assert.equal(await registry.get('never-seen'), undefined);
  });

  it('skips malformed entries and logs them, keeping the good ones', async () => {
    await kv.put('node-a', encodeMessage(heartbeat({ node: 'node-a' })));
    await kv.put('node-b', new TextEncoder().encode('not json'));
    await kv.put('node-c', encodeMessage({ ...heartbeat({ node: 'node-c' }), v: 2 }));
    await kv.put('node-d', encodeMessage(heartbeat({ node: 'node-d' })));
    const { logger, text } = capturedLogger();
    const registry = await FleetRegistry.open(bus, undefined, logger);
    const rows = await registry.list();
    assert.deepEqual(
      rows.map((r) => r.node),
      ['node-a', 'node-d'],
    );
    assert.equal(await registry.get('node-c'), undefined);
    assert.match(text(), /skipping a malformed fleet entry/);
    assert.match(text(), /"node":"node-b"/);
    assert.match(text(), /field v/);
  });

  it('applies the thresholds it was opened with', async () => {
    const now = Date.now();
    await kv.put(
      'node-a',
      encodeMessage(
        heartbeat({ node: 'node-a', intervalMs: 1000, sentAt: new Date(now - 1500).toISOString() }),
      ),
    );
    const strict = await FleetRegistry.open(bus, { staleAfterBeats: 1, downAfterBeats: 2 });
    assert.equal((await strict.get('node-a', now))?.health, 'stale');
    const lenient = await FleetRegistry.open(bus);
    assert.equal((await lenient.get('node-a', now))?.health, 'healthy');
  });
});
