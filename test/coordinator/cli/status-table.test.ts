import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { currentState, statusJson, statusTable } from '../../../coordinator/cli/status-table.js';
import { classifyAgent } from '../../../coordinator/fleet/index.js';
import { heartbeat } from '../../shared/control/control-fixtures.js';

const NOW = Date.parse('2026-12-07T01:00:00Z');
/** An agent whose last beat (interval 1 s) was `agoMs` before NOW. */
const agent = (node: string, agoMs: number, state: 'ready' | 'busy' = 'ready') =>
  classifyAgent(heartbeat({ node, state, sentAt: new Date(NOW - agoMs).toISOString() }), NOW);

describe('status table', () => {
  it('shows unknown as STATE for a down agent, the reported state for healthy and stale ones', () => {
    const [header, healthy, stale, down] = statusTable([
      agent('node-a', 0, 'busy'),
      agent('node-b', 5_000, 'busy'),
      agent('node-c', 60_000, 'ready'),
    ]);
    assert.match(header ?? '', /^NODE\s+HEALTH\s+LAST SEEN\s+STATE/);
    assert.match(healthy ?? '', /^node-a\s+healthy\s+0s ago\s+busy\s/);
    assert.match(stale ?? '', /^node-b\s+stale\s+5s ago\s+busy\s/);
    assert.match(down ?? '', /^node-c\s+down\s+60s ago\s+unknown\s/);
    assert.doesNotMatch(down ?? '', /ready/);
  });

  it('says how to start agents when none announced itself', () => {
    assert.deepEqual(statusTable([]), [
      'no agent has announced itself yet: start `airlift agent` on every node',
    ]);
  });

  it('keeps the heartbeat in JSON and puts state unknown at top level for a down agent only', () => {
    const down = statusJson(agent('node-c', 60_000, 'busy'));
    assert.equal(down.state, 'unknown');
    assert.equal(down.heartbeatState, 'busy');
    assert.equal(down.health, 'down');
    assert.equal(down.lastSeenMs, 60_000);
    assert.equal(down.grpcAddress, '10.0.0.1:7443');
    const healthy = statusJson(agent('node-a', 0, 'busy'));
    assert.equal(healthy.state, 'busy');
    assert.equal('heartbeatState' in healthy, false);
    assert.equal(currentState(agent('node-b', 5_000, 'busy')), 'busy');
  });
});
