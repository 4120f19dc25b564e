import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { FleetRegistry } from '../../../coordinator/fleet/index.js';
import type { KvStore } from '../../../shared/bus/bus.js';
import { Buckets, encodeMessage, type Heartbeat } from '../../../shared/control/index.js';
import { seal, type TrustPolicy } from '../../../shared/trust/index.js';
import { capturedLogger } from '../../shared/bus/bus-test-kit.js';
import { MemoryNats, type MemoryBus } from '../../helpers/memory-bus.js';
import { TestKeys } from '../../helpers/test-keys.js';
import { heartbeat } from '../../shared/control/control-fixtures.js';

describe('FleetRegistry', { timeout: 10_000 }, () => {
  let bus: MemoryBus;
  let kv: KvStore;
  let keys: TestKeys;
  let policy: TrustPolicy;
  /** Stores `hb` under its node's key, signed by `signer` (the node itself unless told otherwise). */
  const put = (hb: Heartbeat, signer = hb.node, key = hb.node): Promise<number> =>
    kv.put(key, seal('heartbeat', hb, keys.agentTrust(signer).sealer));

  beforeEach(async () => {
    const nats = new MemoryNats();
    bus = nats.connect('coordinator');
    kv = await nats.connect('agents').kv(Buckets.fleet);
    keys = new TestKeys();
    policy = keys.coordinatorTrust().policy;
  });

  it('lists every agent sorted by node name, judged at the given time', async () => {
    const now = Date.now();
    for (const node of ['node-c', 'node-a', 'node-b'])
      await put(heartbeat({ node, sentAt: new Date(now).toISOString() }));
    const registry = await FleetRegistry.open(bus, policy);
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
    await put(heartbeat({ node: 'node-a', state: 'busy' }));
    await put(heartbeat({ node: 'node-a', state: 'ready' }));
    await put(heartbeat({ node: 'node-b' }));
    await kv.delete('node-b');
    const registry = await FleetRegistry.open(bus, policy);
    const rows = await registry.list();
    assert.deepEqual(
      rows.map((r) => [r.node, r.heartbeat.state]),
      [['node-a', 'ready']],
    );
    assert.equal(await registry.get('node-b'), undefined);
    assert.equal(await registry.get('never-seen'), undefined);
  });

  it('skips malformed entries and logs them, keeping the good ones', async () => {
    await put(heartbeat({ node: 'node-a' }));
    await kv.put('node-b', new TextEncoder().encode('not json'));
    await put({ ...heartbeat({ node: 'node-c' }), v: 2 } as never, 'node-c', 'node-c');
    await put(heartbeat({ node: 'node-d' }));
    const { logger, text } = capturedLogger();
    const registry = await FleetRegistry.open(bus, policy, undefined, logger);
    const rows = await registry.list();
    assert.deepEqual(
      rows.map((r) => r.node),
      ['node-a', 'node-d'],
    );
    assert.equal(await registry.get('node-c'), undefined);
    assert.match(text(), /skipping a fleet entry/);
    assert.match(text(), /"node":"node-b"/);
    assert.match(text(), /field v/);
  });

  it('counts a heartbeat only when the node it describes signed it, under its own key', async () => {
    await put(heartbeat({ node: 'node-a' }));
    // node-b writes node-c's heartbeat (signed as node-b), and its own under node-e's key.
    await put(heartbeat({ node: 'node-c' }), 'node-b');
    await put(heartbeat({ node: 'node-b' }), 'node-b', 'node-e');
    // node-b signs, but claims to be node-f.
    const body = JSON.stringify(heartbeat({ node: 'node-f' }));
    keys.node('node-f');
    const sig = keys.node('node-b').sign('heartbeat', body);
    await kv.put('node-f', encodeMessage({ v: 1, body, signer: 'node-f', sig }));
    // Unsigned.
    await kv.put('node-d', encodeMessage({ v: 1, body: JSON.stringify(heartbeat({ node: 'node-d' })) }));
    const { logger, text } = capturedLogger();
    const registry = await FleetRegistry.open(bus, policy, undefined, logger);
    assert.deepEqual(
      (await registry.list()).map((r) => r.node),
      ['node-a'],
    );
    assert.match(text(), /entry for node-c describes node-c, signed by node-b/);
    assert.match(text(), /entry for node-e describes node-b/);
    assert.match(text(), /signature does not match node-f/);
    assert.match(text(), /not signed/);
  });

  it('reads unsigned heartbeats under the insecure policy', async () => {
    await kv.put('node-a', encodeMessage({ v: 1, body: JSON.stringify(heartbeat({ node: 'node-a' })) }));
    const registry = await FleetRegistry.open(bus, { kind: 'insecure' });
    assert.deepEqual(
      (await registry.list()).map((r) => r.node),
      ['node-a'],
    );
  });

  it('applies the thresholds it was opened with', async () => {
    const now = Date.now();
    await put(heartbeat({ node: 'node-a', intervalMs: 1000, sentAt: new Date(now - 1500).toISOString() }));
    const strict = await FleetRegistry.open(bus, policy, { staleAfterBeats: 1, downAfterBeats: 2 });
    assert.equal((await strict.get('node-a', now))?.health, 'stale');
    const lenient = await FleetRegistry.open(bus, policy);
    assert.equal((await lenient.get('node-a', now))?.health, 'healthy');
  });

  it('forgets a node: it leaves list() and get(), others stay, and a second forget finds nothing', async () => {
    await put(heartbeat({ node: 'node-a' }));
    await put(heartbeat({ node: 'node-b' }));
    const registry = await FleetRegistry.open(bus, policy);
    assert.equal(await registry.forget('node-b'), true);
    assert.deepEqual(
      (await registry.list()).map((r) => r.node),
      ['node-a'],
    );
    assert.equal(await registry.get('node-b'), undefined);
    assert.equal(await registry.forget('node-b'), false);
    assert.equal(await registry.forget('never-seen'), false);
  });

  it('forgets an entry that does not verify too: a forged entry must not be stuck in the bucket', async () => {
    await kv.put('node-x', new TextEncoder().encode('not json'));
    const registry = await FleetRegistry.open(bus, policy);
    assert.equal(await registry.forget('node-x'), true);
    assert.equal(await kv.get('node-x'), undefined);
  });
});
