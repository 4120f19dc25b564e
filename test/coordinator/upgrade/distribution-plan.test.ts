import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  planSources,
  servesTo,
  type DistributionMode,
  type PlannedNode,
  type PlanOptions,
  type SourcePlan,
} from '../../../coordinator/upgrade/distribution-plan.js';

const NODES = ['a', 'b', 'c', 'd', 'e'].map((n) => ({ node: `node-${n}`, grpcAddress: `${n}:7480` }));
const COORDINATOR = 'coord:7480';

/** The plan's source addresses, after checking every source names who serves at that address. */
function planAddresses(
  nodes: readonly PlannedNode[],
  mode: DistributionMode,
  options?: PlanOptions,
): Map<string, string[][]> {
  const plan = planSources(nodes, COORDINATOR, mode, options);
  checkNames(nodes, plan);
  return new Map(
    [...plan].map(([node, stripes]) => [node, stripes.map((list) => list.map((s) => s.address))]),
  );
}

function checkNames(nodes: readonly PlannedNode[], plan: SourcePlan): void {
  const nameAt = new Map(nodes.map((n) => [n.grpcAddress, n.node]));
  nameAt.set(COORDINATOR, 'coordinator');
  for (const source of [...plan.values()].flat(2)) {
    assert.equal(source.name, nameAt.get(source.address), `the source at ${source.address}`);
  }
}

describe('planSources', () => {
  it('star: every node fetches from the coordinator only', () => {
    const plan = planAddresses(NODES, 'star');
    assert.deepEqual(
      [...plan.values()],
      NODES.map(() => [[COORDINATOR]]),
    );
  });

  it('chain: each node prefers its predecessor, then the ones before it, then the coordinator', () => {
    const plan = planAddresses(NODES, 'chain');
    assert.deepEqual(Object.fromEntries(plan), {
      'node-a': [[COORDINATOR]],
      'node-b': [['a:7480', COORDINATOR]],
      'node-c': [['b:7480', 'a:7480', COORDINATOR]],
      'node-d': [['c:7480', 'b:7480', 'a:7480', COORDINATOR]],
      'node-e': [['d:7480', 'c:7480', 'b:7480', COORDINATOR]],
    });
  });

  it('chain: fallbackPeers bounds the peers tried after the planned one', () => {
    const plan = planAddresses(NODES, 'chain', { fallbackPeers: 0 });
    assert.deepEqual(plan.get('node-e'), [['d:7480', COORDINATOR]]);
    assert.equal(planSources([], COORDINATOR, 'chain').size, 0);
  });

  it('tree: two stripes, each down a binary tree whose interior is a different half of the nodes', () => {
    const plan = planAddresses(NODES, 'tree', { stripes: 2 });
    // Stripe 0 runs a, b, c, d, e (a feeds b and c, b feeds d and e); stripe 1 the same rotated by
    // ceil(4 / 2) = 2: c, d, e, a, b (c feeds d and e, d feeds a and b).
    assert.deepEqual(Object.fromEntries(plan), {
      'node-a': [[COORDINATOR], ['d:7480', 'c:7480', COORDINATOR]],
      'node-b': [
        ['a:7480', COORDINATOR],
        ['d:7480', 'c:7480', COORDINATOR],
      ],
      'node-c': [['a:7480', COORDINATOR], [COORDINATOR]],
      'node-d': [
        ['b:7480', 'a:7480', COORDINATOR],
        ['c:7480', COORDINATOR],
      ],
      'node-e': [
        ['b:7480', 'a:7480', COORDINATOR],
        ['c:7480', COORDINATOR],
      ],
    });
  });

  for (const [count, stripes] of [
    [1, 2],
    [2, 2],
    [16, 2],
    [17, 2],
    [64, 2],
    [16, 4],
    [100, 4],
    [200, 8],
  ] as const) {
    it(`tree: ${count} nodes in ${stripes} stripes upload the archive about once each, in few hops`, () => {
      const nodes = Array.from({ length: count }, (_, i) => ({ node: `n${i}`, grpcAddress: `n${i}:7480` }));
      const plan = planAddresses(nodes, 'tree', { stripes });
      const children = new Map<string, number>();
      for (const [node, sources] of plan) {
        assert.equal(sources.length, stripes, `${node} has a source list per stripe`);
        for (const list of sources) {
          assert.equal(list.at(-1), COORDINATOR, `${node}: the coordinator is the last resort`);
          const planned = list[0] ?? '';
          children.set(planned, (children.get(planned) ?? 0) + 1);
        }
      }
      // Each stripe is 1/k of the archive: a source with k children in one stripe uploads it once.
      assert.equal(children.get(COORDINATOR), Math.min(stripes, count * stripes), 'one root per stripe');
      for (const [source, n] of children) {
        if (source !== COORDINATOR)
          assert.ok(n <= stripes, `${source} feeds ${n} > ${stripes} stripe-children`);
      }
      // Hops from the coordinator to the deepest node: about log_k(N), never the chain's N.
      const depthBound = Math.ceil(Math.log(count * (stripes - 1) + 1) / Math.log(stripes)) + 1;
      for (let s = 0; s < stripes; s++) {
        const parentOf = new Map([...plan].map(([node, sources]) => [`${node}:7480`, sources[s]?.[0] ?? '']));
        for (const address of parentOf.keys()) {
          let hops = 0;
          for (let at = address; at !== COORDINATOR; at = parentOf.get(at) ?? COORDINATOR) hops++;
          assert.ok(hops <= depthBound, `stripe ${s}: ${address} is ${hops} hops deep (bound ${depthBound})`);
        }
      }
    });
  }

  it('servesTo: each node serves exactly the nodes whose sources list it, planned or fallback', () => {
    const chain = servesTo(planSources(NODES, COORDINATOR, 'chain'));
    assert.deepEqual(Object.fromEntries(chain), {
      'node-a': ['node-b', 'node-c', 'node-d'],
      'node-b': ['node-c', 'node-d', 'node-e'],
      'node-c': ['node-d', 'node-e'],
      'node-d': ['node-e'],
      'node-e': [],
    });
    assert.deepEqual(
      Object.fromEntries(servesTo(planSources(NODES, COORDINATOR, 'star'))),
      Object.fromEntries(NODES.map((n) => [n.node, []])),
    );
    // Tree: both stripes count (see the tree plan above).
    const tree = servesTo(planSources(NODES, COORDINATOR, 'tree', { stripes: 2 }));
    assert.deepEqual(tree.get('node-a'), ['node-b', 'node-c', 'node-d', 'node-e']);
    assert.deepEqual(tree.get('node-c'), ['node-a', 'node-b', 'node-d', 'node-e']);
    assert.deepEqual(tree.get('node-e'), []);
  });

  it('tree: refuses a stripe count it cannot carry, naming it', () => {
    assert.throws(() => planSources(NODES, COORDINATOR, 'tree', { stripes: 0 }), /stripes .* got 0/);
    assert.throws(() => planSources(NODES, COORDINATOR, 'tree', { stripes: 17 }), /from 1 to 16, got 17/);
  });
});
