import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  changedValuePaths,
  describeRevision,
  rollbackChange,
} from '../../../coordinator/cli/rollback-plan.js';
import type { HistoryEntry } from '../../../coordinator/kube/index.js';

const entry = (revision: number, status: string, chart = 'kairship-0.20.0'): HistoryEntry => ({
  revision,
  status,
  chart,
  appVersion: chart.slice('kairship-'.length),
  description: status === 'failed' ? 'Upgrade "kairship" failed' : '',
});

describe('rollback plan', () => {
  it('compares the current revision with the recorded one', () => {
    const history = [entry(3, 'superseded'), entry(4, 'superseded'), entry(5, 'failed', 'kairship-0.21.0')];
    const change = rollbackChange(history, 4);
    assert.equal(change.current?.revision, 5);
    assert.equal(change.target?.revision, 4);
    assert.equal(change.unchanged, false);
    assert.equal(
      describeRevision(change.current, 5),
      'revision 5: chart kairship-0.21.0, app 0.21.0, failed (Upgrade "kairship" failed)',
    );
    assert.equal(rollbackChange(history.slice(0, 2), 4).unchanged, true);
    assert.equal(describeRevision(undefined, 1), 'revision 1 (no longer in helm history)');
  });

  it('names the value paths that differ, never their values', () => {
    const now =
      'global:\n  imageRegistry: 10.16.10.111\nredis:\n  auth:\n    password: s3cret-new\nreplicas: 2\n';
    const then = 'global:\n  imageRegistry: 10.16.10.111\nredis:\n  auth:\n    password: s3cret-old\n';
    const paths = changedValuePaths(now, then);
    assert.deepEqual(paths, ['redis.auth.password', 'replicas']);
    assert.doesNotMatch(paths.join(' '), /s3cret/);
    assert.deepEqual(changedValuePaths('', ''), []);
    assert.deepEqual(changedValuePaths('a: [1, 2]\n', 'a: [1]\n'), ['a']);
  });
});
