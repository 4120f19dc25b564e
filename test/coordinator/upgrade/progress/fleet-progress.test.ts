import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FleetProgress,
  formatClock,
  nodeBarFields,
  totalBarFields,
} from '../../../../coordinator/upgrade/progress/index.js';
import type { JobEventBody } from '../../../../shared/control/index.js';
import { jobEvent, report } from '../../../shared/control/control-fixtures.js';
import { fakeClock } from './fake-clock.js';

const MiB = 1024 * 1024;
const progress = (bytesDone: number, rate: number): JobEventBody => ({
  type: 'progress',
  bytesDone,
  bytesTotal: 10 * MiB,
  rate,
});

describe('FleetProgress and the TTY bar fields', () => {
  it('gives each node elapsed and ETA, and the fleet its bytes, summed rate, ETA and verdicts', () => {
    const clock = fakeClock();
    const fleet = new FleetProgress(['node-a', 'node-b', 'node-c'], 10 * MiB, clock.now);
    const apply = (node: string, body: JobEventBody): void => {
      fleet.apply(jobEvent(body, { node }));
    };
    for (const node of ['node-a', 'node-b']) apply(node, { type: 'phase', phase: 'loading' });
    clock.advance(10_000);
    apply('node-a', progress(5 * MiB, MiB));
    apply('node-b', progress(2 * MiB, 2 * MiB));
    apply('node-c', { type: 'report', report: report('node-c', false) });
    assert.equal(fleet.apply(jobEvent({ type: 'phase', phase: 'loading' }, { node: 'stranger' })), undefined);

    const a = fleet.node('node-a');
    assert.ok(a !== undefined);
    assert.deepEqual(nodeBarFields(fleet, a, 6), {
      node: 'node-a',
      done: '5.0 MiB',
      size: '10.0 MiB',
      rate: '1.0 MiB/s',
      phase: 'loading  ',
      took: '0:10',
      left: '0:10',
    });
    const b = fleet.node('node-b');
    assert.ok(b !== undefined);
    assert.equal(nodeBarFields(fleet, b, 6).left, '0:40', '2 of 10 MiB in 10 s');
    // node-c failed without bytes: 7 of 30 MiB in 10 s, 23 MiB left.
    assert.deepEqual(totalBarFields(fleet), {
      done: '7.0 MiB',
      size: '30.0 MiB',
      rate: '3.0 MiB/s',
      took: '0:10',
      left: '0:33',
      verdicts: '0 verified, 1 failed of 3',
    });
    apply('node-a', progress(10 * MiB, MiB));
    apply('node-a', { type: 'phase', phase: 'importing' });
    assert.equal(nodeBarFields(fleet, a, 6).phase, 'importing');
    assert.equal(nodeBarFields(fleet, a, 6).rate, '0 B/s', 'nothing arrives while importing');
    assert.equal(totalBarFields(fleet).rate, '2.0 MiB/s');
    assert.equal(nodeBarFields(fleet, a, 6).left, '-', 'no ETA once every byte is here');
    clock.advance(5_000);
    apply('node-a', { type: 'report', report: report('node-a', true) });
    clock.advance(60_000);
    assert.equal(nodeBarFields(fleet, a, 6).took, '0:15', 'a finished node keeps its time');
    assert.equal(totalBarFields(fleet).verdicts, '1 verified, 1 failed of 3');
  });

  it('says nothing of an ETA before the first byte', () => {
    const clock = fakeClock();
    const fleet = new FleetProgress(['node-a'], MiB, clock.now);
    clock.advance(3_000);
    assert.equal(totalBarFields(fleet).left, '--:--');
    const a = fleet.node('node-a');
    assert.ok(a !== undefined);
    assert.equal(nodeBarFields(fleet, a, 6).phase.trim(), 'waiting');
  });

  it('formats clocks without jumping width within an hour', () => {
    assert.equal(formatClock(0), '0:00');
    assert.equal(formatClock(65_400), '1:05');
    assert.equal(formatClock(3_723_000), '1:02:03');
    assert.equal(formatClock(undefined), '--:--');
  });
});
