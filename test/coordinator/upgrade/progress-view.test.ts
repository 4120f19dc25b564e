import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlainProgressView } from '../../../coordinator/upgrade/progress-view.js';
import type { JobEventBody } from '../../../shared/control/index.js';
import { jobEvent, report } from '../../shared/control/control-fixtures.js';

function view(): { lines: string[]; show: (node: string, body: JobEventBody) => void; v: PlainProgressView } {
  const lines: string[] = [];
  const v = new PlainProgressView((line) => lines.push(line));
  return {
    lines,
    v,
    show: (node, body) => {
      v.event(jobEvent(body, { node }));
    },
  };
}

const progress = (bytesDone: number, bytesTotal = 4 * 1024 * 1024): JobEventBody => ({
  type: 'progress',
  bytesDone,
  bytesTotal,
  rate: 1024 * 1024,
});

describe('PlainProgressView', () => {
  it('writes one line per phase, per node', () => {
    const { lines, show } = view();
    show('node-a', { type: 'phase', phase: 'loading' });
    show('node-b', { type: 'phase', phase: 'verifying' });
    assert.deepEqual(lines, ['  node-a: loading', '  node-b: verifying']);
  });

  it('writes bytes only when a node crosses into a new quarter', () => {
    const { lines, show } = view();
    const MiB = 1024 * 1024;
    for (const done of [0.1, 0.5, 1, 1.5, 2.5, 2.6, 4]) show('node-a', progress(done * MiB));
    show('node-b', progress(3 * MiB));
    assert.deepEqual(lines, [
      '  node-a: 1.0 MiB/4.0 MiB (25%) at 1.0 MiB/s',
      '  node-a: 2.5 MiB/4.0 MiB (50%) at 1.0 MiB/s',
      '  node-a: 4.0 MiB/4.0 MiB (100%) at 1.0 MiB/s',
      '  node-b: 3.0 MiB/4.0 MiB (75%) at 1.0 MiB/s',
    ]);
  });

  it('treats an empty transfer as complete once', () => {
    const { lines, show } = view();
    show('node-a', progress(0, 0));
    show('node-a', progress(0, 0));
    assert.deepEqual(lines, ['  node-a: 0 B/0 B (100%) at 1.0 MiB/s']);
  });

  it('summarises the report: verified, or FAILED with the count', () => {
    const { lines, show, v } = view();
    show('node-a', { type: 'report', report: report('node-a', true) });
    show('node-b', { type: 'report', report: report('node-b', false) });
    v.step('barrier');
    v.close();
    assert.deepEqual(lines, [
      '  node-a: verified 2/2 references',
      '  node-b: FAILED 1/2 references',
      'barrier',
    ]);
  });
});
