import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FleetModel, ServeMetrics } from '../../../coordinator/serve/index.js';
import { RUN_PHASES } from '../../../shared/control/index.js';
import { heartbeat, runState } from '../../shared/control/control-fixtures.js';

/** The value of one sample line (`name{labels} value`) in the text format; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('ServeMetrics', () => {
  it('reports agents by health, 0 for a health no agent has', async () => {
    const model = new FleetModel();
    const metrics = new ServeMetrics({ model, live: () => true });
    const now = Date.now();
    model.applyHeartbeat(heartbeat({ node: 'node-a' }));
    model.applyHeartbeat(heartbeat({ node: 'node-b', state: 'stopped' }));
    model.applyHeartbeat(heartbeat({ node: 'node-c', sentAt: new Date(now - 5_000).toISOString() }));
    const text = await metrics.text();
    assert.equal(sample(text, 'airlift_serve_control_plane_up'), 1);
    assert.equal(sample(text, 'airlift_serve_agents{health="healthy"}'), 1);
    assert.equal(sample(text, 'airlift_serve_agents{health="stale"}'), 1);
    assert.equal(sample(text, 'airlift_serve_agents{health="down"}'), 1);
    // No run yet: no phase and no per-node series.
    assert.doesNotMatch(text, /airlift_serve_run_phase\{/);
    assert.doesNotMatch(text, /airlift_serve_node_bytes_done\{/);
  });

  it('reports the run phase, per-node bytes of the current run only, and failures by class', async () => {
    const model = new FleetModel();
    let live = false;
    const metrics = new ServeMetrics({ model, live: () => live });
    const first = runState(['node-a', 'node-b'], { runId: 'r1', startedAt: '2026-01-01T00:00:00.000Z' });
    const nodeA = first.nodes['node-a'];
    assert.ok(nodeA !== undefined);
    model.applyRun({
      ...first,
      phase: 'distributing',
      nodes: {
        ...first.nodes,
        'node-a': { ...nodeA, bytesDone: 1024, status: 'failed', problem: 'SPOOL_DISK_FULL: full' },
      },
    });
    const text = await metrics.text();
    assert.equal(sample(text, 'airlift_serve_control_plane_up'), 0);
    for (const phase of RUN_PHASES) {
      assert.equal(
        sample(text, `airlift_serve_run_phase{phase="${phase}"}`),
        phase === 'distributing' ? 1 : 0,
      );
    }
    assert.equal(sample(text, 'airlift_serve_node_bytes_done{node="node-a"}'), 1024);
    assert.equal(sample(text, 'airlift_serve_node_bytes_total{node="node-a"}'), 4096);
    assert.equal(sample(text, 'airlift_serve_node_bytes_done{node="node-b"}'), 0);
    assert.equal(sample(text, 'airlift_serve_node_failures_total{class="SPOOL_DISK_FULL"}'), 1);
    assert.match(text, /# TYPE airlift_serve_node_failures_total counter/);

    // A newer run over other nodes: the old run's nodes leave, the failure count stays.
    live = true;
    model.applyRun(runState(['node-c'], { runId: 'r2', startedAt: '2026-01-02T00:00:00.000Z' }));
    const next = await metrics.text();
    assert.equal(sample(next, 'airlift_serve_node_bytes_done{node="node-a"}'), undefined);
    assert.equal(sample(next, 'airlift_serve_node_bytes_total{node="node-c"}'), 4096);
    assert.equal(sample(next, 'airlift_serve_run_phase{phase="preflight"}'), 1);
    assert.equal(sample(next, 'airlift_serve_node_failures_total{class="SPOOL_DISK_FULL"}'), 1);
    assert.equal(sample(next, 'airlift_serve_control_plane_up'), 1);
  });

  it('two services in one process keep separate registries', async () => {
    const a = new FleetModel();
    a.applyHeartbeat(heartbeat({ node: 'node-a' }));
    const textA = await new ServeMetrics({ model: a, live: () => true }).text();
    const textB = await new ServeMetrics({ model: new FleetModel(), live: () => true }).text();
    assert.equal(sample(textA, 'airlift_serve_agents{health="healthy"}'), 1);
    assert.equal(sample(textB, 'airlift_serve_agents{health="healthy"}'), 0);
  });
});
