import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Buckets, NODE_NAME, RUN_ID, Subjects, WIRE_VERSION } from '../../../shared/control/index.js';
import { newRunId } from '../../../coordinator/upgrade/run-id.js';
import { subjectMatches } from '../../helpers/memory-bus.js';

describe('Subjects', () => {
  it('puts every subject under the versioned prefix', () => {
    assert.equal(WIRE_VERSION, 1);
    assert.equal(Subjects.job('node-a'), 'airlift.v1.job.node-a');
    assert.equal(Subjects.events('r1', 'node-a'), 'airlift.v1.events.r1.node-a');
    assert.equal(Subjects.runEvents('r1'), 'airlift.v1.events.r1.>');
    assert.equal(Subjects.heartbeat('node-a'), 'airlift.v1.heartbeat.node-a');
    assert.deepEqual(Buckets, { fleet: 'airlift-fleet', runs: 'airlift-runs' });
  });

  it("a run's events subject catches every node of that run and no other run", () => {
    const pattern = Subjects.runEvents('r1');
    assert.ok(subjectMatches(pattern, Subjects.events('r1', 'node-a')));
    assert.ok(subjectMatches(pattern, Subjects.events('r1', 'node-b.example.com')));
    assert.ok(!subjectMatches(pattern, Subjects.events('r10', 'node-a')));
    assert.ok(!subjectMatches(pattern, Subjects.events('r2', 'node-a')));
    assert.ok(!subjectMatches(pattern, Subjects.job('r1')));
  });
});

describe('NODE_NAME', () => {
  it('accepts DNS-subdomain style names up to 253 characters', () => {
    for (const name of ['a', 'node-a', 'Node_1', 'worker-01.cluster.local', '10.0.0.1', 'a'.repeat(253)])
      assert.ok(NODE_NAME.test(name), name);
  });

  it('refuses wildcards, spaces, separators and edge punctuation', () => {
    for (const name of [
      '',
      '*',
      '>',
      'node-*',
      'node.>',
      'node a',
      ' node',
      'node\t',
      'node/a',
      '-node',
      'node-',
      '.node',
      'node.',
      'a'.repeat(254),
    ])
      assert.ok(!NODE_NAME.test(name), JSON.stringify(name));
  });

  it('refuses consecutive dots, which make an empty subject token', () => {
    assert.ok(!NODE_NAME.test('node..a'));
  });
});

describe('RUN_ID', () => {
  it('accepts the ids the coordinator makes, and plain tokens up to 64 characters', () => {
    for (const id of [newRunId(), newRunId(new Date(0)), 'r1', 'a'.repeat(64), 'run_1-x'])
      assert.ok(RUN_ID.test(id), id);
  });

  it('refuses anything that is not one subject token', () => {
    for (const id of ['', 'r.1', 'r*', 'r>', 'r 1', '-r', 'a'.repeat(65), 'r/1'])
      assert.ok(!RUN_ID.test(id), JSON.stringify(id));
  });
});
