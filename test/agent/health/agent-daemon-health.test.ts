import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { judgeHealth } from '../../../agent/health/index.js';
import { AgentHarness } from '../daemon/daemon-kit.js';

describe('AgentDaemon.healthView', { timeout: 20_000 }, () => {
  let agent: AgentHarness;
  afterEach(async () => {
    await agent.close();
  });

  it('is unhealthy before start, healthy once started, and follows a NATS outage', async () => {
    agent = new AgentHarness();
    const idle = agent.daemon.healthView();
    assert.equal(idle.busConnected, false);
    assert.equal(idle.heartbeatAgeMs, undefined);
    assert.equal(judgeHealth(idle).ok, false);

    await agent.start();
    const up = agent.daemon.healthView();
    assert.equal(up.state, 'ready');
    assert.equal(up.busConnected, true);
    assert.ok(up.heartbeatAgeMs !== undefined && up.heartbeatAgeMs >= 0 && up.heartbeatAgeMs < 5_000);
    assert.equal(up.runtime?.ok, true);
    assert.deepEqual(judgeHealth(up), { ok: true, state: 'ready' });

    agent.agentBus.disconnect();
    assert.equal(agent.daemon.healthView().busConnected, false);
    agent.agentBus.reconnect();
    assert.equal(agent.daemon.healthView().busConnected, true);
  });

  it('counts refusals and a finished job, and says stopped after stop()', async () => {
    agent = new AgentHarness();
    await agent.start();
    assert.equal((await agent.send(new TextEncoder().encode('not a job'))).accepted, false);
    assert.equal(agent.daemon.healthView().refusalsTotal, 1);

    assert.equal((await agent.send({})).accepted, true);
    await agent.untilReport();
    while (agent.daemon.busy) await new Promise((resolve) => setTimeout(resolve, 10));
    const after = agent.daemon.healthView();
    assert.equal(after.job, undefined);
    assert.ok(after.received.pieces > 0, 'pieces received are counted');
    assert.ok(after.received.bytes > 0, 'bytes received are counted');
    assert.equal(after.received.corruptPieces, 0);
    assert.equal(after.lastJob?.ok, true);
    assert.ok(after.lastJob.seconds >= 0);

    await agent.daemon.stop();
    const stopped = agent.daemon.healthView();
    assert.equal(stopped.state, 'stopped');
    assert.equal(stopped.busConnected, false);
    assert.deepEqual(judgeHealth(stopped), { ok: false, state: 'stopped', reason: 'agent is stopped' });
  });
});
