import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_THRESHOLDS, classifyAgent } from '../../../coordinator/fleet/index.js';
import { heartbeat } from '../../shared/control/control-fixtures.js';

const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const sentAgo = (ms: number): string => new Date(NOW - ms).toISOString();

describe('classifyAgent', () => {
  it('judges silence in multiples of the agent’s own interval: healthy ≤ 3 beats < stale ≤ 10 beats < down', () => {
    assert.deepEqual(DEFAULT_THRESHOLDS, { staleAfterBeats: 3, downAfterBeats: 10 });
    for (const intervalMs of [200, 1000, 5000]) {
      const cases: [number, string][] = [
        [0, 'healthy'],
        [3 * intervalMs, 'healthy'],
        [3 * intervalMs + 1, 'stale'],
        [10 * intervalMs, 'stale'],
        [10 * intervalMs + 1, 'down'],
        [1000 * intervalMs, 'down'],
      ];
      for (const [age, health] of cases) {
        const row = classifyAgent(heartbeat({ intervalMs, sentAt: sentAgo(age) }), NOW);
        assert.equal(row.health, health, `interval ${intervalMs} ms, silent ${age} ms`);
        assert.equal(row.ageMs, age);
      }
    }
  });

  it('gives the same silence different verdicts for agents with different rhythms', () => {
    const sentAt = sentAgo(4000);
    assert.equal(classifyAgent(heartbeat({ intervalMs: 2000, sentAt }), NOW).health, 'healthy');
    assert.equal(classifyAgent(heartbeat({ intervalMs: 1000, sentAt }), NOW).health, 'stale');
    assert.equal(classifyAgent(heartbeat({ intervalMs: 100, sentAt }), NOW).health, 'down');
  });

  it('takes custom thresholds', () => {
    const hb = heartbeat({ intervalMs: 1000, sentAt: sentAgo(2500) });
    assert.equal(classifyAgent(hb, NOW, { staleAfterBeats: 2, downAfterBeats: 5 }).health, 'stale');
    assert.equal(classifyAgent(hb, NOW, { staleAfterBeats: 1, downAfterBeats: 2 }).health, 'down');
  });

  it('calls an agent that said goodbye down at once', () => {
    const row = classifyAgent(heartbeat({ state: 'stopped', sentAt: sentAgo(0) }), NOW);
    assert.equal(row.health, 'down');
    assert.equal(row.ageMs, 0);
  });

  it('treats a heartbeat from a clock ahead of ours as fresh, never a negative age', () => {
    const row = classifyAgent(heartbeat({ sentAt: new Date(NOW + 90_000).toISOString() }), NOW);
    assert.equal(row.health, 'healthy');
    assert.equal(row.ageMs, 0);
  });

  it('keeps the node and heartbeat in the row', () => {
    const hb = heartbeat({ node: 'node-z', sentAt: sentAgo(10) });
    const row = classifyAgent(hb, NOW);
    assert.equal(row.node, 'node-z');
    assert.equal(row.heartbeat, hb);
  });

  it('does not call an agent healthy when its sentAt is not a time', () => {
    const row = classifyAgent(heartbeat({ sentAt: 'yesterday' }), NOW);
    assert.notEqual(row.health, 'healthy');
  });
});
