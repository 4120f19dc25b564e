import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { RunStore } from '../../../coordinator/upgrade/run-store.js';
import type { KvStore } from '../../../shared/bus/bus.js';
import { Buckets, decodeMessage, runStateSchema, type RunState } from '../../../shared/control/index.js';
import { capturedLogger, eventually } from '../../shared/bus/bus-test-kit.js';
import { MemoryNats, type MemoryBus } from '../../helpers/memory-bus.js';
import { runState } from '../../shared/control/control-fixtures.js';

const RUN = 'r20260101-000000-abcd';

describe('RunStore', { timeout: 10_000 }, () => {
  let nats: MemoryNats;
  let bus: MemoryBus;
  let runs: KvStore;
  beforeEach(async () => {
    nats = new MemoryNats();
    bus = nats.connect('coordinator');
    runs = await nats.connect('status').kv(Buckets.runs, { history: 64 });
  });

  const stored = async (): Promise<RunState> => {
    const entry = await runs.get(RUN);
    assert.ok(entry !== undefined, 'the run is stored');
    return decodeMessage(runStateSchema, RUN, entry.value);
  };
  const revisions = async (): Promise<number> => (await runs.history(RUN)).length;

  it('stores the initial state before create() resolves', async () => {
    const initial = runState(['node-a', 'node-b']);
    await RunStore.create(bus, initial, capturedLogger().logger);
    const state = await stored();
    assert.deepEqual({ ...state, updatedAt: '' }, { ...initial, updatedAt: '' });
    assert.equal(await revisions(), 1);
  });

  it('coalesces a burst of changes into few writes, and the last state wins', async () => {
    const store = await RunStore.create(bus, runState(['node-a', 'node-b']), capturedLogger().logger);
    store.phase('distributing');
    for (let i = 1; i <= 100; i++) {
      store.node('node-a', { status: 'running', bytesDone: i * 10 });
      store.node('node-b', { status: 'running', bytesDone: i * 20 });
    }
    store.node('node-b', { status: 'failed', problem: 'disk full' });
    await store.flush();
    const state = await stored();
    assert.equal(state.phase, 'distributing');
    assert.deepEqual(
      [state.nodes['node-a']?.bytesDone, state.nodes['node-b']?.status, state.nodes['node-b']?.problem],
      [1000, 'failed', 'disk full'],
    );
    assert.deepEqual(state, store.current);
    const writes = await revisions();
    assert.ok(writes <= 4, `${writes} writes for 202 changes`);
  });

  it('retries a failed write with the next change, and says so in the log', async () => {
    const { logger, text } = capturedLogger();
    const store = await RunStore.create(bus, runState(['node-a']), logger);
    nats.failKv({ bucket: Buckets.runs, op: 'put' });
    store.phase('distributing');
    await eventually('the failed write is logged', () =>
      Promise.resolve(/run state not stored; will retry with the next change/.test(text())),
    );
    assert.equal((await stored()).phase, 'preflight', 'the failed write left the old state');
    store.node('node-a', { status: 'running' });
    await eventually(
      'the next change is stored',
      async () => (await stored()).nodes['node-a']?.status === 'running',
    );
    const state = await stored();
    assert.equal(state.phase, 'distributing', 'the change whose write failed is in the next write');
    assert.equal(state.nodes['node-a']?.status, 'running');
  });

  it('writes a steady stream of changes at most every 250 ms', async () => {
    const store = await RunStore.create(bus, runState(['node-a']), capturedLogger().logger);
    const started = performance.now();
    for (let i = 1; performance.now() - started < 1000; i++) {
      store.node('node-a', { bytesDone: i });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await store.flush();
    const writes = await revisions();
    // The initial write, about four in the second, and the flush.
    assert.ok(writes >= 3 && writes <= 7, `${writes} writes in 1 s`);
  });

  it('records a failure with the phase it happened in, and stamps updatedAt', async () => {
    const initial = runState(['node-a'], { updatedAt: '2026-01-01T00:00:00.000Z' });
    const store = await RunStore.create(bus, initial, capturedLogger().logger);
    store.phase('failed', { phase: 'barrier', message: '1 of 1 node(s) did not verify every image: node-a' });
    await store.flush();
    const state = await stored();
    assert.equal(state.phase, 'failed');
    assert.deepEqual(state.failure, {
      phase: 'barrier',
      message: '1 of 1 node(s) did not verify every image: node-a',
    });
    assert.ok(Date.parse(state.updatedAt) > Date.parse('2026-01-01T00:00:00.000Z'));
  });

  it('ignores updates for nodes that are not part of the run', async () => {
    const store = await RunStore.create(bus, runState(['node-a']), capturedLogger().logger);
    store.node('node-x', { status: 'failed' });
    await store.flush();
    assert.deepEqual(Object.keys((await stored()).nodes), ['node-a']);
    assert.equal(store.current.nodes['node-x'], undefined);
  });

  it('keeps state in memory only without a bus (dry run)', async () => {
    const store = await RunStore.create(undefined, runState(['node-a']), capturedLogger().logger);
    store.phase('distributing');
    store.node('node-a', { status: 'verified' });
    await store.flush();
    assert.equal(store.current.phase, 'distributing');
    assert.equal(store.current.nodes['node-a']?.status, 'verified');
    assert.equal(await runs.get(RUN), undefined);
  });
});
