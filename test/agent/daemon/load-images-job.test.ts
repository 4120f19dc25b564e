import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { JobProgress } from '../../../agent/daemon/job-progress.js';
import { runLoadImagesJob } from '../../../agent/daemon/load-images-job.js';
import { PieceShelf } from '../../../agent/daemon/piece-shelf.js';
import { Subjects, jobEventSchema, type JobEvent } from '../../../shared/control/index.js';
import { openMessage } from '../../../shared/trust/index.js';
import { TestKeys } from '../../helpers/test-keys.js';
import { PassThrough } from 'node:stream';
import { componentLogger, createLogger, silentLogger } from '../../../shared/logging/index.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { FakeEndpoint, PieceOrigin, PlanRuntime } from './daemon-kit.js';

interface Run {
  runtime: PlanRuntime;
  endpoint: FakeEndpoint;
  events: JobEvent[];
  subjects: Set<string>;
  shelf: PieceShelf;
  deps: Parameters<typeof runLoadImagesJob>[1];
}

describe('runLoadImagesJob', { timeout: 20_000 }, () => {
  const origin = new PieceOrigin();
  let tmp: TempDir;
  let shelves = 0;

  before(async () => {
    tmp = makeTempDir('airlift-load-job');
    await origin.start();
  });
  after(async () => {
    await origin.stop();
    await tmp.remove();
  });

  const keys = new TestKeys();

  function setup(): Run {
    const runtime = new PlanRuntime();
    const events: JobEvent[] = [];
    const subjects = new Set<string>();
    const endpoint = new FakeEndpoint();
    const shelf = new PieceShelf(`${tmp.path}/shelf-${++shelves}`, endpoint, silentLogger());
    return {
      runtime,
      endpoint,
      events,
      subjects,
      shelf,
      deps: {
        node: 'node-a',
        runtime,
        shelf,
        stallMs: 10_000,
        logger: silentLogger(),
        sealer: keys.agentTrust('node-a').sealer,
        publish: (subject, data) => {
          subjects.add(subject);
          // Only events node-a signed count, as on the coordinator.
          const opened = openMessage(jobEventSchema, 'event', subject, data, keys.coordinatorTrust().policy);
          assert.equal(opened.signer, 'node-a');
          events.push(opened.message);
        },
      },
    };
  }

  it('fetches, imports, retags and verifies, publishing numbered events on the node’s subject', async () => {
    const run = setup();
    const job = origin.job();
    let tracker: JobProgress | undefined;
    const report = await runLoadImagesJob(job, run.deps, new AbortController().signal, (p) => (tracker = p));
    await run.shelf.close();
    assert.equal(report.ok, true, JSON.stringify(report.error));
    assert.equal(report.bytesLoaded, origin.bytes.length);
    assert.equal(report.transfer?.piecesReceived, 3);
    assert.deepEqual([...run.subjects], [Subjects.events(job.runId, 'node-a')]);
    assert.deepEqual(
      run.events.map((e) => e.seq),
      run.events.map((_, i) => i),
    );
    const last = run.events.at(-1)?.body;
    assert.ok(last?.type === 'report');
    assert.deepEqual(last.report, report);
    assert.deepEqual(
      run.runtime.calls.filter((c) => c.startsWith('tag')),
      [
        'tag release.daocloud.io/k/api:v1 10.6.0.1/k/api:v1',
        'tag release.daocloud.io/k/ui:v1 10.6.0.1/k/ui:v1',
      ],
    );
    assert.equal(tracker?.snapshot().phase, 'done');
    assert.equal(tracker.snapshot().bytesDone, origin.bytes.length);
  });

  it('logs each key once per line under the agent’s loggers, the innermost component named', async () => {
    const run = setup();
    const sink = new PassThrough();
    let text = '';
    sink.on('data', (chunk: Buffer) => (text += chunk.toString()));
    // As agent-command and AgentDaemon nest them.
    const agentLog = componentLogger(
      createLogger({ level: 'debug', destination: sink }).child({ node: 'node-a' }),
      'agent',
      {
        node: 'node-a',
      },
    );
    await runLoadImagesJob(
      origin.job(),
      { ...run.deps, logger: agentLog },
      new AbortController().signal,
      () => undefined,
    );
    await run.shelf.close();
    const lines = text.trim().split('\n');
    assert.ok(lines.some((line) => line.includes('"component":"load-images-job"')));
    for (const line of lines) {
      for (const key of ['node', 'component', 'jobId', 'runId', 'time']) {
        assert.ok(line.split(`"${key}":`).length <= 2, `${key} twice in ${line}`);
      }
    }
  });

  it('skips the load when allowed and every target is already verified, stopping the transfer it began', async () => {
    const run = setup();
    for (const e of origin.job().payload.plan.entries)
      run.runtime.images.set(e.target, { configDigest: e.configDigest, usable: true });
    // The transfer starts with the job, before the check; held after its first piece, it must not
    // keep a skipping node waiting.
    origin.hold();
    try {
      const outcome = await Promise.race([
        runLoadImagesJob(
          origin.job({}, { skipIfVerified: true }),
          run.deps,
          new AbortController().signal,
          () => undefined,
        ),
        sleep(3000, 'still running' as const),
      ]);
      assert.notEqual(outcome, 'still running', 'a skip must stop the transfer');
      assert.ok(typeof outcome !== 'string');
      assert.equal(outcome.ok, true);
      assert.equal(outcome.bytesLoaded, 0);
      assert.equal(outcome.transfer, undefined);
      assert.deepEqual(
        run.runtime.calls.filter((call) => call === 'load'),
        [],
      );
      assert.deepEqual(
        run.events
          .filter((e) => e.body.type !== 'progress')
          .map((e) => (e.body.type === 'phase' ? e.body.phase : e.body.type)),
        ['verifying', 'done', 'report'],
      );
      // A peer planned to fetch from this node is told at once that it lacks the rest, not kept waiting.
      const served = run.endpoint.served.get(origin.job().payload.archive.id);
      assert.ok(served !== undefined, 'the archive is registered for peers');
      const last = origin.job().payload.archive.manifest.pieces.length - 1;
      await assert.rejects(
        Promise.race([
          served.piece(last, new AbortController().signal),
          sleep(2000).then(() => 'still waiting'),
        ]).then((result) => {
          if (result === 'still waiting') throw new Error('still waiting');
        }),
        new RegExp(`piece ${last}|missing|not`, 'i'),
      );
    } finally {
      origin.release();
      await run.shelf.close();
    }
  });

  it('stops when the agent aborts it, and reports the job failed', async () => {
    const run = setup();
    origin.hold();
    const abort = new AbortController();
    const running = runLoadImagesJob(origin.job(), run.deps, abort.signal, () => undefined);
    await sleep(50);
    abort.abort(new Error('agent stopping'));
    const report = await running;
    origin.release();
    await run.shelf.close();
    assert.equal(report.ok, false);
    assert.ok(report.error !== undefined);
    assert.ok(report.images.every((i) => !i.verified));
    assert.equal(run.events.at(-1)?.body.type, 'report');
  });

  it('gives up after the job’s own timeoutMs, even after a garbage collection', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const run = setup();
    origin.hold();
    let running: ReturnType<typeof runLoadImagesJob> | undefined;
    try {
      running = runLoadImagesJob(
        origin.job({}, { timeoutMs: 100 }),
        run.deps,
        new AbortController().signal,
        () => undefined,
      );
      await sleep(20);
      gc();
      const outcome = await Promise.race([running, sleep(1500, 'still running' as const)]);
      assert.notEqual(outcome, 'still running', 'the job ignored its timeout');
      assert.ok(typeof outcome !== 'string' && !outcome.ok);
    } finally {
      origin.release();
      await running;
      await run.shelf.close();
    }
  });
});
