import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlainProgressView } from '../../../../coordinator/upgrade/progress/index.js';
import type { JobEventBody } from '../../../../shared/control/index.js';
import { jobEvent, report } from '../../../shared/control/control-fixtures.js';
import { fakeClock, type FakeClock } from './fake-clock.js';

const MiB = 1024 * 1024;

function view(withFleet = false): {
  lines: string[];
  show: (node: string, body: JobEventBody) => void;
  v: PlainProgressView;
  clock: FakeClock;
} {
  const lines: string[] = [];
  const clock = fakeClock();
  const v = new PlainProgressView(
    (line) => lines.push(line),
    withFleet ? { nodes: ['node-a', 'node-b'], bytesTotal: 4 * MiB, clock: clock.now } : undefined,
  );
  return {
    lines,
    v,
    clock,
    show: (node, body) => {
      v.event(jobEvent(body, { node }));
    },
  };
}

const progress = (bytesDone: number, bytesTotal = 4 * MiB): JobEventBody => ({
  type: 'progress',
  bytesDone,
  bytesTotal,
  rate: MiB,
});

describe('PlainProgressView', () => {
  it('writes one line per phase, per node, importing included', () => {
    const { lines, show } = view();
    show('node-a', { type: 'phase', phase: 'loading' });
    show('node-a', { type: 'phase', phase: 'importing' });
    show('node-b', { type: 'phase', phase: 'verifying' });
    assert.deepEqual(lines, ['  node-a: loading', '  node-a: importing', '  node-b: verifying']);
  });

  it('writes bytes only when a node crosses into a new quarter', () => {
    const { lines, show } = view();
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

  it('with the fleet, says the elapsed time and the ETA at the average rate so far', () => {
    const { lines, show, clock } = view(true);
    clock.advance(2_000);
    show('node-a', { type: 'phase', phase: 'loading' });
    clock.advance(2_000);
    show('node-a', progress(1 * MiB));
    clock.advance(12_000);
    show('node-a', progress(4 * MiB));
    show('node-a', { type: 'phase', phase: 'importing' });
    clock.advance(14_000);
    show('node-a', { type: 'report', report: report('node-a', true) });
    clock.advance(60_000);
    show('node-a', { type: 'phase', phase: 'done' });
    assert.deepEqual(lines, [
      '  node-a: loading after 0:02',
      // 1 MiB in 4 s: 3 MiB more take 12 s.
      '  node-a: 1.0 MiB/4.0 MiB (25%) at 1.0 MiB/s after 0:04, ETA 0:12',
      '  node-a: 4.0 MiB/4.0 MiB (100%) at 1.0 MiB/s after 0:16',
      '  node-a: importing after 0:16',
      '  node-a: verified 2/2 references after 0:30',
      // A node's clock stops at its report.
      '  node-a: done after 0:30',
    ]);
  });
});
