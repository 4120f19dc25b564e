import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  dashboardSnapshot,
  failureClass,
  FleetModel,
  NOT_VERIFIED,
  UNKNOWN_FAILURE,
} from '../../../coordinator/serve/index.js';
import type { RunState } from '../../../shared/control/index.js';
import { heartbeat, runState } from '../../shared/control/control-fixtures.js';

/** A copy of `run` with one node's entry changed. */
function withNode(run: RunState, node: string, change: Partial<RunState['nodes'][string]>): RunState {
  const before = run.nodes[node];
  assert.ok(before !== undefined, node);
  return { ...run, nodes: { ...run.nodes, [node]: { ...before, ...change } } };
}

describe('failureClass', () => {
  it('takes a known error code from the problem, else the kind of coordinator reason, else UNKNOWN', () => {
    assert.equal(failureClass('RUNTIME_LOAD_FAILED: ctr import exited 1'), 'RUNTIME_LOAD_FAILED');
    assert.equal(failureClass('MADE_UP_CODE: anything a node writes'), UNKNOWN_FAILURE);
    assert.equal(failureClass('1 of 2 references not verified; first: x: digest'), NOT_VERIFIED);
    assert.equal(failureClass('no report within 1800 s (--timeout)'), 'NO_REPORT');
    assert.equal(failureClass('agent refused the job: busy'), 'JOB_NOT_ACCEPTED');
    assert.equal(failureClass('its agent went silent 40 s ago during the run'), 'AGENT_LOST');
    assert.equal(failureClass('run interrupted'), 'RUN_INTERRUPTED');
    assert.equal(failureClass('<script>alert(1)</script>'), UNKNOWN_FAILURE);
    assert.equal(failureClass(undefined), UNKNOWN_FAILURE);
  });
});

describe('FleetModel', () => {
  it('judges agents when read, sorted, with a down agent shown as unknown in the snapshot', () => {
    const model = new FleetModel();
    const now = Date.now();
    model.applyHeartbeat(heartbeat({ node: 'node-b', sentAt: new Date(now).toISOString() }));
    model.applyHeartbeat(heartbeat({ node: 'node-a', sentAt: new Date(now).toISOString(), state: 'busy' }));
    assert.deepEqual(
      model.agents(now).map((r) => [r.node, r.health]),
      [
        ['node-a', 'healthy'],
        ['node-b', 'healthy'],
      ],
    );
    // 1 s beats: stale after 3 missed, down after 10.
    assert.deepEqual(
      model.agents(now + 5_000).map((r) => r.health),
      ['stale', 'stale'],
    );
    const later = dashboardSnapshot(model, true, now + 20_000);
    assert.deepEqual(
      later.agents.map((a) => [a.node, a.health, a.state]),
      [
        ['node-a', 'down', 'unknown'],
        ['node-b', 'down', 'unknown'],
      ],
    );
    assert.equal(later.agents[0]?.runtime, 'containerd 1.7.0');
    assert.equal(later.live, true);
    assert.equal(later.run, undefined);
  });

  it('replaceFleet drops forgotten nodes; every change calls the listeners until removed', () => {
    const model = new FleetModel();
    let calls = 0;
    const off = model.onChange(() => calls++);
    model.applyHeartbeat(heartbeat({ node: 'node-a' }));
    model.applyHeartbeat(heartbeat({ node: 'node-b' }));
    model.replaceFleet([heartbeat({ node: 'node-b' })]);
    assert.deepEqual(
      model.agents().map((r) => r.node),
      ['node-b'],
    );
    assert.equal(calls, 3);
    off();
    model.applyHeartbeat(heartbeat({ node: 'node-c' }));
    assert.equal(calls, 3);
  });

  it('follows the latest run: updates of it, a newer one, not an older one; forgets a deleted current one', () => {
    const model = new FleetModel();
    const first = runState(['node-a'], { runId: 'r1', startedAt: '2026-01-01T00:00:00.000Z' });
    const second = runState(['node-a'], { runId: 'r2', startedAt: '2026-01-02T00:00:00.000Z' });
    model.applyRun(first);
    model.applyRun(second);
    model.applyRun({ ...first, phase: 'done' });
    assert.equal(model.run?.runId, 'r2');
    model.applyRun({ ...second, phase: 'distributing' });
    assert.equal(model.run.phase, 'distributing');
    model.forgetRun('r1');
    assert.equal(model.run.runId, 'r2');
    model.forgetRun('r2');
    assert.equal(model.run, undefined);
  });

  it('counts each node failure once by class, and again only after the node was retried', () => {
    const model = new FleetModel();
    let run = runState(['node-a', 'node-b'], { runId: 'r1' });
    model.applyRun(run);
    run = withNode(run, 'node-a', { status: 'failed', problem: 'RUNTIME_LOAD_FAILED: boom' });
    model.applyRun(run);
    model.applyRun({ ...run, phase: 'failed' });
    run = withNode(run, 'node-b', { status: 'failed', problem: '2 of 2 references not verified' });
    model.applyRun(run);
    assert.deepEqual(Object.fromEntries(model.failureCounts()), {
      RUNTIME_LOAD_FAILED: 1,
      NOT_VERIFIED: 1,
    });
    // `airlift resume`: node-a runs again and fails again.
    run = withNode(run, 'node-a', { status: 'running', problem: undefined });
    model.applyRun(run);
    model.applyRun(withNode(run, 'node-a', { status: 'failed', problem: 'RUNTIME_LOAD_FAILED: again' }));
    assert.equal(model.failureCounts().get('RUNTIME_LOAD_FAILED'), 2);
    const snapshot = dashboardSnapshot(model, false);
    assert.deepEqual(snapshot.failures, { RUNTIME_LOAD_FAILED: 2, NOT_VERIFIED: 1 });
    assert.deepEqual(
      snapshot.run?.nodes.map((n) => [n.node, n.status, n.problem]),
      [
        ['node-a', 'failed', 'RUNTIME_LOAD_FAILED: again'],
        ['node-b', 'failed', '2 of 2 references not verified'],
      ],
    );
  });
});
