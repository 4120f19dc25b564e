import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobProgress } from '../../../agent/daemon/job-progress.js';
import { jobEventSchema, type JobEventBody } from '../../../shared/control/index.js';

type Progress = Extract<JobEventBody, { type: 'progress' }>;

function tracked(total: number, intervalMs: number): { progress: JobProgress; bodies: JobEventBody[] } {
  const bodies: JobEventBody[] = [];
  return { progress: new JobProgress('job-1', 'run-1', total, (b) => bodies.push(b), intervalMs), bodies };
}

const progressOf = (bodies: readonly JobEventBody[]): Progress[] =>
  bodies.filter((b): b is Progress => b.type === 'progress');

describe('JobProgress', { timeout: 5_000 }, () => {
  it('emits the first byte count at once, then at most one per interval, and always the last', () => {
    const { progress, bodies } = tracked(100, 60_000);
    for (const done of [10, 20, 30, 40, 99, 100]) progress.bytes(done);
    assert.deepEqual(
      progressOf(bodies).map((b) => b.bytesDone),
      [10, 100],
    );
    for (const b of progressOf(bodies)) assert.equal(b.bytesTotal, 100);
  });

  it('emits again once the interval has passed', async () => {
    const { progress, bodies } = tracked(1000, 20);
    progress.bytes(100);
    progress.bytes(200);
    await sleep(30);
    progress.bytes(300);
    progress.bytes(400);
    assert.deepEqual(
      progressOf(bodies).map((b) => b.bytesDone),
      [100, 300],
    );
  });

  it('computes the rate over the bytes since the last event, in bytes per second', async () => {
    // Timers may fire a fraction of a millisecond early by performance.now(): sleep 60 ms, bound at 50.
    const { progress, bodies } = tracked(1_000_000, 10);
    const t0 = performance.now();
    await sleep(60);
    progress.bytes(50_000);
    const first = progressOf(bodies)[0];
    assert.ok(first !== undefined);
    const firstSeconds = (performance.now() - t0) / 1000;
    // 50 000 bytes in more than 50 ms, and in no more than the time this test measured.
    assert.ok(
      first.rate <= 50_000 / 0.05 && first.rate >= 50_000 / (firstSeconds + 0.01),
      `rate ${first.rate}`,
    );
    assert.ok(Number.isInteger(first.rate));
    const t1 = performance.now();
    await sleep(60);
    progress.bytes(60_000);
    const secondSeconds = (performance.now() - t1) / 1000;
    const second = progressOf(bodies)[1];
    assert.ok(second !== undefined);
    // Only the 10 000 bytes since the last event count, not all 60 000.
    assert.ok(
      second.rate <= 10_000 / 0.05 && second.rate >= 10_000 / (secondSeconds + 0.01),
      `rate ${second.rate}`,
    );
  });

  it('emits only bodies a job event accepts, with zero or several bytes per call', () => {
    const { progress, bodies } = tracked(0, 0);
    progress.bytes(0);
    const big = tracked(10, 0);
    big.progress.bytes(0);
    big.progress.bytes(10);
    big.progress.bytes(10);
    for (const body of [...bodies, ...big.bodies]) {
      const event = { v: 1, runId: 'r', jobId: 'j', node: 'n', seq: 0, at: new Date().toISOString(), body };
      assert.ok(jobEventSchema.safeParse(event).success, JSON.stringify(body));
    }
    assert.equal(bodies.length + big.bodies.length, 4);
  });

  it('emits phase changes as they happen', () => {
    const { progress, bodies } = tracked(100, 500);
    progress.enter('loading');
    progress.enter('verifying');
    progress.enter('done');
    assert.deepEqual(bodies, [
      { type: 'phase', phase: 'loading' },
      { type: 'phase', phase: 'verifying' },
      { type: 'phase', phase: 'done' },
    ]);
  });

  it('turns loading into importing with the last byte, once, and not after verifying began', () => {
    const { progress, bodies } = tracked(100, 60_000);
    progress.enter('loading');
    progress.bytes(40);
    progress.bytes(100);
    progress.enter('verifying');
    progress.bytes(100);
    assert.deepEqual(
      bodies.map((b) => (b.type === 'phase' ? b.phase : b.type === 'progress' ? b.bytesDone : b.type)),
      ['loading', 40, 100, 'importing', 'verifying', 100],
    );
    assert.equal(progress.snapshot().phase, 'verifying');
  });

  it('is importing from the start when every byte arrived before the load began', () => {
    const { progress, bodies } = tracked(100, 60_000);
    progress.bytes(100);
    assert.equal(progress.snapshot().phase, 'accepted', 'a skip check may still be running');
    progress.enter('loading');
    assert.deepEqual(
      bodies.filter((b) => b.type === 'phase'),
      [
        { type: 'phase', phase: 'loading' },
        { type: 'phase', phase: 'importing' },
      ],
    );
    assert.equal(progress.snapshot().phase, 'importing');
  });

  it('snapshot() gives the job, phase and bytes so far, for the heartbeat', () => {
    const before = Date.now();
    const { progress } = tracked(100, 60_000);
    assert.deepEqual(
      { ...progress.snapshot(), startedAt: '' },
      { jobId: 'job-1', runId: 'run-1', phase: 'accepted', bytesDone: 0, bytesTotal: 100, startedAt: '' },
    );
    progress.enter('loading');
    progress.bytes(10);
    progress.bytes(20);
    const snap = progress.snapshot();
    assert.equal(snap.phase, 'loading');
    assert.equal(snap.bytesDone, 20, 'the snapshot is current even when the event was held back');
    const started = Date.parse(snap.startedAt);
    assert.ok(started >= before - 1 && started <= Date.now());
  });
});
