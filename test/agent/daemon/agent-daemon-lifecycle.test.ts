import assert from 'node:assert/strict';
import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Subjects, heartbeatSchema, type Heartbeat } from '../../../shared/control/index.js';
import { BusRequestError } from '../../../shared/errors/index.js';
import { archiveIdOf } from '../../../shared/pieces/index.js';
import { AIRLIFT_VERSION } from '../../../shared/version.js';
import { AgentHarness, Collector, FakeEndpoint } from './daemon-kit.js';

describe('AgentDaemon lifecycle', { timeout: 20_000 }, () => {
  let agent: AgentHarness;
  afterEach(async () => {
    await agent.close();
  });

  it('start() stores a heartbeat with the node facts before it resolves, and publishes it', async () => {
    agent = new AgentHarness({ heartbeatIntervalMs: 60_000 });
    const published = new Collector<Heartbeat>();
    agent.observer.subscribe(Subjects.heartbeat('node-a'), (m) => {
      published.push(agent.open(heartbeatSchema, 'heartbeat', m.subject, m.data));
    });
    await agent.start();
    const hb = await agent.stored();
    assert.ok(hb !== undefined, 'stored before start() resolved');
    assert.equal(hb.v, 1);
    assert.equal(hb.node, 'node-a');
    assert.equal(hb.agentVersion, AIRLIFT_VERSION);
    assert.equal(hb.state, 'ready');
    assert.equal(hb.intervalMs, 60_000);
    assert.equal(hb.grpcAddress, '10.1.2.3:7443');
    assert.equal(hb.job, undefined);
    assert.deepEqual(hb.runtime, {
      kind: 'containerd',
      version: '1.0-fake',
      endpoint: 'memory',
      namespace: 'k8s.io',
      ok: true,
    });
    // dataDir does not exist: the disk is that of its nearest existing parent.
    assert.equal(hb.disk.path, agent.dataDir);
    const fs = await statfs(tmpdir());
    assert.equal(hb.disk.totalBytes, fs.blocks * fs.bsize);
    assert.ok(hb.disk.freeBytes > 0 && hb.disk.freeBytes <= hb.disk.totalBytes);
    assert.ok(Math.abs(Date.parse(hb.sentAt) - Date.now()) < 5000);
    assert.deepEqual(await published.waitFor('published heartbeat', () => true), hb);
    assert.equal(agent.endpoint.starts, 1);
  });

  it('reports a runtime that does not answer, without failing to start', async () => {
    agent = new AgentHarness();
    agent.runtime.down = true;
    await agent.start();
    const hb = await agent.stored();
    assert.equal(hb?.state, 'ready');
    assert.equal(hb.runtime.ok, false);
    assert.equal(hb.runtime.kind, 'containerd');
    assert.equal(hb.runtime.version, 'unknown');
    assert.match(hb.runtime.error ?? '', /fake runtime does not answer/);
  });

  it('beats on its interval', async () => {
    agent = new AgentHarness({ heartbeatIntervalMs: 20 });
    await agent.start();
    await agent.heartbeats.waitFor('a fourth heartbeat', () => true, 3);
    const sent = agent.heartbeats.items.map((h) => Date.parse(h.sentAt));
    assert.deepEqual(
      sent,
      [...sent].sort((a, b) => a - b),
    );
  });

  it('beats again at once after the connection comes back', async () => {
    agent = new AgentHarness({ heartbeatIntervalMs: 60_000 });
    await agent.start();
    const before = agent.heartbeats.items.length;
    agent.agentBus.disconnect();
    await sleep(20);
    assert.equal(agent.heartbeats.items.length, before, 'nothing gets through while disconnected');
    agent.agentBus.reconnect();
    const again = await agent.heartbeats.waitFor('a heartbeat after reconnecting', () => true, before, 1000);
    assert.equal(again.state, 'ready');
    assert.equal(agent.agentBus.callbackErrors.length, 0);
  });

  it('stop() when idle: draining, then stopped; stops the endpoint and the bus once; idempotent', async () => {
    agent = new AgentHarness({ heartbeatIntervalMs: 20 });
    await agent.start();
    const first = agent.daemon.stop();
    const second = agent.daemon.stop();
    assert.equal(first, second);
    await first;
    await agent.daemon.stop();
    const states = agent.heartbeats.items.map((h) => h.state);
    // That stopped is also the last word is checked below (heartbeats are serialised).
    assert.ok(
      states.includes('draining') && states.indexOf('draining') < states.indexOf('stopped'),
      states.join(' '),
    );
    assert.equal(states.filter((s) => s === 'stopped').length, 1);
    assert.equal(agent.endpoint.stops, 1);
    assert.equal(agent.agentBus.closed, true);
    const count = agent.heartbeats.items.length;
    await sleep(60);
    assert.equal(agent.heartbeats.items.length, count, 'no heartbeat after stop');
    const refused = await agent.send({}).catch((e: unknown) => e);
    assert.ok(refused instanceof BusRequestError && refused.reason === 'no-responders', String(refused));
  });

  it('stop() waits for the running job, takes no new one meanwhile, then says goodbye', async () => {
    agent = new AgentHarness({ drainTimeoutMs: 5_000 });
    await agent.start();
    agent.origin.hold();
    await agent.send({});
    await agent.events.waitFor('first progress', (e) => e.body.type === 'progress');
    let stopped = false;
    const stopping = agent.daemon.stop().then(() => (stopped = true));
    await agent.heartbeats.waitFor('draining heartbeat', (h) => h.state === 'draining');
    const refused = await agent.send({ jobId: 'during-drain' }).catch((e: unknown) => e);
    assert.ok(refused instanceof BusRequestError, `a job during the drain is not taken: ${String(refused)}`);
    assert.equal(refused.reason, 'no-responders');
    await sleep(30);
    assert.equal(stopped, false, 'stop() waits for the job');
    assert.equal(agent.daemon.busy, true);
    agent.origin.release();
    await stopping;
    const report = (await agent.untilReport()).at(-1)?.body;
    assert.ok(report?.type === 'report');
    assert.equal(report.report.ok, true, 'the job finished normally');
    assert.ok(
      agent.heartbeats.items.some((h) => h.state === 'stopped'),
      'said goodbye',
    );
    assert.equal(agent.origin.server.stats().nodes['node-a']?.fetches, 1);
    assert.deepEqual(
      agent.endpoint.unregistered,
      [archiveIdOf(agent.origin.manifest)],
      'stops serving its pieces',
    );
  });

  it('stop() aborts a job that outlives drainTimeoutMs and still says goodbye', async () => {
    agent = new AgentHarness({ drainTimeoutMs: 50 });
    await agent.start();
    agent.origin.hold();
    await agent.send({});
    await agent.events.waitFor('first progress', (e) => e.body.type === 'progress');
    const started = performance.now();
    await agent.daemon.stop();
    const waited = performance.now() - started;
    assert.ok(waited >= 45 && waited < 2000, `waited ${waited} ms`);
    const report = (await agent.untilReport()).at(-1)?.body;
    assert.ok(report?.type === 'report');
    assert.equal(report.report.ok, false);
    assert.ok(report.report.error !== undefined);
    assert.equal(agent.daemon.busy, false);
    assert.ok(
      agent.heartbeats.items.some((h) => h.state === 'stopped'),
      'said goodbye',
    );
  });

  it('says in the report of a job it aborted that the agent was stopping', async () => {
    agent = new AgentHarness({ drainTimeoutMs: 30 });
    await agent.start();
    agent.origin.hold();
    await agent.send({});
    await agent.events.waitFor('first progress', (e) => e.body.type === 'progress');
    await agent.daemon.stop();
    const report = (await agent.untilReport()).at(-1)?.body;
    assert.ok(report?.type === 'report');
    assert.match(report.report.error?.message ?? '', /agent stopping/);
  });

  it('leaves stopped as the last word even when an earlier heartbeat is slow to gather its facts', async () => {
    agent = new AgentHarness({ endpoint: new FakeEndpoint('10.1.2.3:7443', 150) });
    await agent.start();
    agent.origin.hold();
    await agent.send({});
    await agent.events.waitFor('first progress', (e) => e.body.type === 'progress');
    const stopping = agent.daemon.stop();
    await agent.heartbeats.waitFor('draining heartbeat', (h) => h.state === 'draining');
    // The beat that follows the job's end asks the runtime first; make that answer slow.
    agent.runtime.nextInfoDelayMs = 60;
    agent.origin.release();
    await stopping;
    assert.equal((await agent.stored())?.state, 'stopped');
  });
});
