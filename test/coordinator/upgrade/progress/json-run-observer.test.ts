import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonRunObserver, runOutput } from '../../../../coordinator/upgrade/progress/index.js';
import type { JobEventBody } from '../../../../shared/control/index.js';
import { jobEvent, report } from '../../../shared/control/control-fixtures.js';
import { fakeClock } from './fake-clock.js';

const START = {
  runId: 'r20261207-030000-abcd',
  release: 'kairship',
  namespace: 'kairship-system',
  bundle: { name: 'kairship', version: '0.21.0' },
  chartVersion: '0.21.0',
  nodes: ['node-a'],
  bytesTotal: 100,
  imagesExpected: 2,
  runDir: '/srv/runs/r20261207-030000-abcd',
};

describe('JsonRunObserver', () => {
  it('writes one JSON object per line with type, at and runId; progress throttled per node', () => {
    const lines: string[] = [];
    const clock = fakeClock();
    const observer = new JsonRunObserver((line) => lines.push(line), clock.now, 1000);
    observer.step('checking the fleet');
    observer.runStarted(START);
    const view = observer.distribution();
    const show = (body: JobEventBody): void => {
      view.event(jobEvent(body, { node: 'node-a' }));
    };
    show({ type: 'phase', phase: 'loading' });
    for (const done of [10, 20, 30]) {
      show({ type: 'progress', bytesDone: done, bytesTotal: 100, rate: 50 });
      clock.advance(600);
    }
    show({ type: 'progress', bytesDone: 100, bytesTotal: 100, rate: 50 });
    show({ type: 'phase', phase: 'importing' });
    show({ type: 'report', report: report('node-a', false) });
    view.close();
    observer.kubeStep('helm-upgrade', 'done', 'revision 4');
    observer.results(
      [{ node: 'node-a', result: 'failed', bytesReceived: 100, imagesVerified: 1, imagesExpected: 2 }],
      { phase: 'barrier', message: '1 of 1 node(s) did not verify every image: node-a' },
    );
    clock.advance(800);
    observer.runFinished({ exitCode: 8 });

    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      events.map((e) => [e.type, e.runId]),
      [
        ['step', null],
        ['run-started', START.runId],
        ['node-phase', START.runId],
        ['node-progress', START.runId],
        ['node-progress', START.runId],
        ['node-progress', START.runId],
        ['node-phase', START.runId],
        ['node-report', START.runId],
        ['kube-step', START.runId],
        ['run-finished', START.runId],
      ],
    );
    assert.deepEqual(
      events.filter((e) => e.type === 'node-progress').map((e) => e.bytesDone),
      [10, 30, 100],
      'at most one a second, and always the last byte',
    );
    assert.equal(events[0]?.at, '2026-12-07T03:00:00.000Z');
    assert.deepEqual(events[6], {
      type: 'node-phase',
      at: '2026-12-07T03:00:01.800Z',
      runId: START.runId,
      node: 'node-a',
      phase: 'importing',
    });
    const nodeReport = events[7];
    assert.ok(nodeReport !== undefined);
    assert.equal(nodeReport.ok, false);
    assert.equal(nodeReport.imagesVerified, 1);
    assert.match(String(nodeReport.problem), /1 of 2 references not verified/);
    assert.deepEqual(events.at(-1), {
      type: 'run-finished',
      at: '2026-12-07T03:00:02.600Z',
      runId: START.runId,
      exitCode: 8,
      ok: false,
      durationMs: 2600,
      results: [
        { node: 'node-a', result: 'failed', bytesReceived: 100, imagesVerified: 1, imagesExpected: 2 },
      ],
      failure: { phase: 'barrier', message: '1 of 1 node(s) did not verify every image: node-a' },
    });
  });
});

describe('runOutput', () => {
  it('json: only events on stdout; the lines for people go to stderr and become step events', () => {
    const out: string[] = [];
    const err: string[] = [];
    const clock = fakeClock();
    const { observer, human } = runOutput(
      'json',
      { out: (l) => out.push(l), err: (l) => err.push(l) },
      true,
      clock.now,
    );
    human.out('barrier passed');
    human.err('airlift: warning');
    observer.runFinished({ exitCode: 1, error: 'boom' });
    assert.deepEqual(err, ['barrier passed', 'airlift: warning']);
    for (const line of out) JSON.parse(line);
    assert.deepEqual(
      out.map((l) => (JSON.parse(l) as { type: string }).type),
      ['step', 'run-finished'],
    );
  });

  it('text off a terminal: every stdout line timestamped, the results table at the end', () => {
    const out: string[] = [];
    const clock = fakeClock();
    const { observer, human } = runOutput(
      'text',
      { out: (l) => out.push(l), err: () => undefined },
      false,
      clock.now,
    );
    human.out('run r1: kairship 0.21.0 to 1 node(s)');
    const view = observer.distribution(['node-a'], 100);
    clock.advance(1500);
    view.event(jobEvent({ type: 'phase', phase: 'importing' }, { node: 'node-a' }));
    observer.kubeStep('apply-crds', 'start', '2 CRDs');
    observer.results(
      [{ node: 'node-a', result: 'verified', bytesReceived: 100, imagesVerified: 2, imagesExpected: 2 }],
      undefined,
    );
    clock.advance(500);
    observer.runFinished({ exitCode: 0 });
    assert.deepEqual(out, [
      '2026-12-07T03:00:00.000Z run r1: kairship 0.21.0 to 1 node(s)',
      '2026-12-07T03:00:01.500Z   node-a: importing after 0:02',
      '2026-12-07T03:00:01.500Z   apply-crds start: 2 CRDs',
      '2026-12-07T03:00:02.000Z results:',
      '2026-12-07T03:00:02.000Z   NODE    RESULT    TIME  RECEIVED  AVG RATE  IMAGES  FROM PEERS  FROM COORDINATOR',
      '2026-12-07T03:00:02.000Z   node-a  verified  -     100 B     -         2/2     -           -',
      '2026-12-07T03:00:02.000Z   total duration 2.0 s',
    ]);
  });
});
