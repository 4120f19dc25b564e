import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planSources } from '../../../coordinator/upgrade/distribution-plan.js';

const NODES = ['a', 'b', 'c', 'd', 'e'].map((n) => ({ node: `node-${n}`, grpcAddress: `${n}:7480` }));
const COORDINATOR = 'coord:7480';

describe('planSources', () => {
  it('star: every node fetches from the coordinator only', () => {
    const plan = planSources(NODES, COORDINATOR, 'star');
    assert.deepEqual(
      [...plan.values()],
      NODES.map(() => [COORDINATOR]),
    );
  });

  it('chain: each node prefers its predecessor, then the ones before it, then the coordinator', () => {
    const plan = planSources(NODES, COORDINATOR, 'chain');
    assert.deepEqual(Object.fromEntries(plan), {
      'node-a': [COORDINATOR],
      'node-b': ['a:7480', COORDINATOR],
      'node-c': ['b:7480', 'a:7480', COORDINATOR],
      'node-d': ['c:7480', 'b:7480', 'a:7480', COORDINATOR],
      'node-e': ['d:7480', 'c:7480', 'b:7480', COORDINATOR],
    });
  });

  it('chain: fallbackPeers bounds the peers tried after the planned one', () => {
    const plan = planSources(NODES, COORDINATOR, 'chain', 0);
    assert.deepEqual(plan.get('node-e'), ['d:7480', COORDINATOR]);
    assert.equal(planSources([], COORDINATOR, 'chain').size, 0);
  });
});
