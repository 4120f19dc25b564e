import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { Subjects, encodeMessage, type JobEvent } from '../../../shared/control/index.js';
import { jobEvent, report } from '../../shared/control/control-fixtures.js';
import { FleetKit, RUN_ID } from './upgrade-kit.js';

const statuses = (stored: { nodes: Record<string, { status: string }> }): Record<string, string> =>
  Object.fromEntries(Object.entries(stored.nodes).map(([node, s]) => [node, s.status]));

describe('distribute', { timeout: 20_000 }, () => {
  let kit: FleetKit;
  beforeEach(async () => {
    kit = await new FleetKit().open();
  });

  it('sends each node its job and collects every report: all ok', async () => {
    for (const node of ['node-a', 'node-b', 'node-c'])
      await kit.agent(node, {
        ack: 'accept',
        then: (m) => {
          m.succeed();
        },
      });
    const { outcomes, events, stored } = await kit.distribute(['node-a', 'node-b', 'node-c']);
    assert.deepEqual(
      outcomes.map((o) => [o.node, o.ok, o.problem]),
      [
        ['node-a', true, undefined],
        ['node-b', true, undefined],
        ['node-c', true, undefined],
      ],
    );
    assert.ok(outcomes.every((o) => o.report?.ok === true));
    assert.deepEqual(kit.jobs.map((j) => [j.node, j.jobId, j.runId, j.kind]).sort(), [
      ['node-a', `${RUN_ID}-n0`, RUN_ID, 'load-images'],
      ['node-b', `${RUN_ID}-n1`, RUN_ID, 'load-images'],
      ['node-c', `${RUN_ID}-n2`, RUN_ID, 'load-images'],
    ]);
    assert.equal(events.length, 18, 'every event of every node reached onEvent');
    assert.deepEqual(statuses(stored), { 'node-a': 'verified', 'node-b': 'verified', 'node-c': 'verified' });
    assert.deepEqual(
      { ...stored.nodes['node-a'], bytesTotal: 0 },
      { status: 'verified', phase: 'done', bytesDone: 4096, bytesTotal: 0, verified: 2, expected: 2 },
    );
    assert.equal(kit.nats.interest(Subjects.events(RUN_ID, 'node-a')), 0, 'unsubscribed at the end');
  });

  it('names the reason a node refused the job, and the first image a failed node could not verify', async () => {
    await kit.agent('node-a', {
      ack: 'accept',
      then: (m) => {
        m.succeed();
      },
    });
    await kit.agent('node-b', { ack: 'refuse', reason: 'agent is busy' });
    await kit.agent('node-c', {
      ack: 'accept',
      then: (m) => {
        m.fail();
      },
    });
    const { outcomes, stored } = await kit.distribute(['node-a', 'node-b', 'node-c']);
    assert.deepEqual(
      outcomes.map((o) => [o.node, o.ok, o.problem]),
      [
        ['node-a', true, undefined],
        ['node-b', false, 'agent refused the job: agent is busy'],
        [
          'node-c',
          false,
          '1 of 2 references not verified; first: 10.6.0.1/k/ui:v1: 10.6.0.1/k/ui:v1 is missing',
        ],
      ],
    );
    assert.deepEqual(statuses(stored), { 'node-a': 'verified', 'node-b': 'failed', 'node-c': 'failed' });
    assert.equal(stored.nodes['node-b']?.problem, 'agent refused the job: agent is busy');
    assert.equal(stored.nodes['node-c']?.verified, 1);
  });

  it('reports the error a node gave up with', async () => {
    await kit.agent('node-a', {
      ack: 'accept',
      then: (m) => {
        m.event({
          type: 'report',
          report: report('node-a', false, { error: { code: 'RUNTIME_LOAD_FAILED', message: 'disk full' } }),
        });
      },
    });
    const { outcomes } = await kit.distribute(['node-a']);
    assert.equal(outcomes[0]?.problem, 'RUNTIME_LOAD_FAILED: disk full');
  });

  it('fails a node nobody answers for with "job not delivered", at once', async () => {
    await kit.agent('node-a', {
      ack: 'accept',
      then: (m) => {
        m.succeed();
      },
    });
    await kit.beat('node-b');
    const started = performance.now();
    const { outcomes, stored } = await kit.distribute(['node-a', 'node-b'], { ackTimeoutMs: 2000 });
    assert.ok(performance.now() - started < 1500, 'no waiting for the ack timeout');
    assert.equal(outcomes[0]?.ok, true);
    assert.equal(outcomes[1]?.ok, false);
    assert.match(
      outcomes[1].problem ?? '',
      /^job not delivered: request on airlift\.v1\.job\.node-b: no agent listens/,
    );
    assert.deepEqual(statuses(stored), { 'node-a': 'verified', 'node-b': 'failed' });
  });

  it('fails a node whose agent takes the job but never acks it, after the ack timeout', async () => {
    await kit.agent('node-a', { ack: 'ignore' });
    const { outcomes } = await kit.distribute(['node-a'], { ackTimeoutMs: 50 });
    assert.match(outcomes[0]?.problem ?? '', /^job not delivered: .*no reply within 50 ms/);
  });

  it('fails a node whose heartbeat turns down mid-run, at once', async () => {
    await kit.agent('node-a', {
      ack: 'accept',
      then: (m) =>
        setTimeout(() => {
          m.succeed();
        }, 100),
    });
    await kit.agent('node-b', {
      ack: 'accept',
      then: (m) => {
        m.event({ type: 'phase', phase: 'loading' });
        void kit.beat('node-b', { intervalMs: 1000, sentAt: new Date(Date.now() - 60_000).toISOString() });
      },
    });
    await kit.agent('node-c', {
      ack: 'accept',
      then: () => void kit.beat('node-c', { state: 'stopped' }),
    });
    const { outcomes, stored } = await kit.distribute(['node-a', 'node-b', 'node-c'], { timeoutMs: 5000 });
    assert.equal(outcomes[0]?.ok, true);
    assert.match(outcomes[1]?.problem ?? '', /^its agent went silent 60 s ago during the run$/);
    assert.match(outcomes[2]?.problem ?? '', /^its agent stopped during the run$/);
    assert.deepEqual(statuses(stored), { 'node-a': 'verified', 'node-b': 'failed', 'node-c': 'failed' });
    assert.equal(stored.nodes['node-b']?.phase, 'loading');
  });

  it('fails the nodes that have not reported when the timeout runs out', async () => {
    await kit.agent('node-a', {
      ack: 'accept',
      then: (m) => {
        m.succeed();
      },
    });
    await kit.agent('node-b', {
      ack: 'accept',
      then: (m) => {
        m.event({ type: 'phase', phase: 'loading' });
      },
    });
    const started = performance.now();
    const { outcomes, stored } = await kit.distribute(['node-a', 'node-b'], { timeoutMs: 200 });
    const took = performance.now() - started;
    assert.ok(took >= 190 && took < 2000, `took ${took} ms`);
    assert.equal(outcomes[0]?.ok, true);
    assert.match(outcomes[1]?.problem ?? '', /^no report within \d+ s \(--timeout\)$/);
    assert.deepEqual(statuses(stored), { 'node-a': 'verified', 'node-b': 'failed' });
  });

  it('marks pending nodes "run interrupted" when the signal aborts, keeping finished ones', async () => {
    const abort = new AbortController();
    await kit.agent('node-a', {
      ack: 'accept',
      then: (m) => {
        m.succeed();
      },
    });
    await kit.agent('node-b', {
      ack: 'accept',
      then: () =>
        setTimeout(() => {
          abort.abort();
        }, 50),
    });
    const { outcomes, stored } = await kit.distribute(['node-a', 'node-b'], {
      signal: abort.signal,
      timeoutMs: 5000,
    });
    assert.deepEqual(
      outcomes.map((o) => [o.node, o.ok, o.problem]),
      [
        ['node-a', true, undefined],
        ['node-b', false, 'run interrupted'],
      ],
    );
    assert.deepEqual(statuses(stored), { 'node-a': 'verified', 'node-b': 'failed' });
  });

  it('sends nothing and interrupts every node when the signal is already aborted', async () => {
    await kit.agent('node-a', {
      ack: 'accept',
      then: (m) => {
        m.succeed();
      },
    });
    const { outcomes } = await kit.distribute(['node-a'], { signal: AbortSignal.abort(), timeoutMs: 2000 });
    assert.deepEqual(
      outcomes.map((o) => [o.node, o.ok, o.problem]),
      [['node-a', false, 'run interrupted']],
    );
    assert.equal(kit.jobs.length, 0, 'no job was sent');
  });

  it('ignores malformed events', async () => {
    await kit.agent('node-a', {
      ack: 'accept',
      then: (m) => {
        kit.publish(RUN_ID, 'node-a', new TextEncoder().encode('garbage'));
        kit.publish(RUN_ID, 'node-a', encodeMessage({ ...jobEvent({ type: 'phase', phase: 'done' }), v: 2 }));
        kit.publish(
          RUN_ID,
          'node-a',
          encodeMessage(
            jobEvent(
              { type: 'report', report: { ...report('node-a'), ok: 'yes' } as never },
              { node: 'node-a' },
            ),
          ),
        );
        m.succeed();
      },
    });
    const { outcomes, events } = await kit.distribute(['node-a']);
    assert.equal(outcomes[0]?.ok, true);
    assert.equal(events.length, 6);
    assert.deepEqual(
      events.map((e) => e.seq),
      [0, 1, 2, 3, 4, 5],
    );
    assert.equal(kit.coordinator.callbackErrors.length, 0);
  });

  it('ignores events of other runs and of nodes it is not waiting for', async () => {
    await kit.agent('node-a', {
      ack: 'accept',
      then: (m) => {
        // Another run's failure report for the same node, and a stranger in this run.
        m.event({ type: 'report', report: report('node-a', false) }, { runId: 'r-other' });
        m.event({ type: 'report', report: report('stranger', false) }, { node: 'stranger' });
        setTimeout(() => {
          m.succeed();
        }, 30);
      },
    });
    const { outcomes, events, stored } = await kit.distribute(['node-a']);
    assert.deepEqual(
      outcomes.map((o) => [o.node, o.ok]),
      [['node-a', true]],
    );
    assert.ok(events.every((e: JobEvent) => e.runId === RUN_ID && e.node === 'node-a'));
    assert.deepEqual(Object.keys(stored.nodes), ['node-a']);
  });

  it('keeps a node verified when its report is handled before its ack', async () => {
    await kit.beat('node-a');
    kit.agents.subscribe(Subjects.job('node-a'), (message) => {
      const job = kit.openJob('node-a', message.data);
      kit.moves(job, 'node-a').succeed();
      message.respond(
        kit.sealAs('node-a', 'ack', {
          v: 1,
          jobId: job.jobId,
          node: 'node-a',
          accepted: true,
          bootId: 'boot-node-a',
        }),
      );
    });
    const { outcomes, stored } = await kit.distribute(['node-a']);
    assert.equal(outcomes[0]?.ok, true);
    assert.equal(stored.nodes['node-a']?.status, 'verified');
  });

  it('never counts a report another node signed, or one republished under another name', async () => {
    await kit.agent('node-a', { ack: 'accept' });
    await kit.agent('node-b', {
      ack: 'accept',
      then: (m) => {
        m.succeed();
        // node-b claims node-a's success: signed by node-b, on node-a's subject.
        const forged = {
          v: 1,
          runId: RUN_ID,
          jobId: `${RUN_ID}-n0`,
          node: 'node-a',
          seq: 9,
          at: new Date().toISOString(),
          body: { type: 'report', report: report('node-a', true) },
        };
        kit.publish(RUN_ID, 'node-a', kit.sealAs('node-b', 'event', forged));
        // node-b's own report, republished as-is on node-a's subject.
        kit.publish(
          RUN_ID,
          'node-a',
          kit.sealAs('node-b', 'event', { ...forged, node: 'node-b', jobId: `${RUN_ID}-n1` }),
        );
      },
    });
    const { outcomes } = await kit.distribute(['node-a', 'node-b'], { timeoutMs: 400 });
    assert.deepEqual(
      outcomes.map((o) => [o.node, o.ok]),
      [
        ['node-a', false],
        ['node-b', true],
      ],
    );
    assert.match(outcomes[0]?.problem ?? '', /no report within/);
  });

  it('ignores a report for another job of the same node (an old attempt or a replay)', async () => {
    await kit.agent('node-a', {
      ack: 'accept',
      then: (m) => {
        m.event({ type: 'report', report: report('node-a', true) }, { jobId: `${RUN_ID}-n7` });
      },
    });
    const { outcomes } = await kit.distribute(['node-a'], { timeoutMs: 300 });
    assert.equal(outcomes[0]?.ok, false);
  });

  it('refuses an ack that another node signed', async () => {
    await kit.beat('node-a');
    kit.agents.subscribe(Subjects.job('node-a'), (message) => {
      const job = kit.openJob('node-a', message.data);
      message.respond(
        kit.sealAs('node-b', 'ack', { v: 1, jobId: job.jobId, node: 'node-a', accepted: true }),
      );
    });
    kit.keys.node('node-b');
    const { outcomes } = await kit.distribute(['node-a']);
    assert.match(outcomes[0]?.problem ?? '', /answer was refused: the ack is signed by node-b, not node-a/);
  });

  it('sends the job again, as a new job, when the agent restarted mid-job', async () => {
    let attempts = 0;
    await kit.agent('node-a', {
      ack: 'accept',
      then: (m) => {
        if (attempts++ === 0) {
          // The agent dies and comes back: a new process, idle, with the old job gone.
          kit.bootIds.set('node-a', 'boot-2');
          void kit.beat('node-a');
          return;
        }
        m.succeed();
      },
    });
    const notices: string[] = [];
    const { outcomes } = await kit.distribute(['node-a'], {
      onNotice: (node, text) => notices.push(`${node}: ${text}`),
    });
    assert.equal(outcomes[0]?.ok, true, outcomes[0]?.problem);
    assert.deepEqual(
      kit.jobs.map((j) => j.jobId),
      [`${RUN_ID}-n0`, `${RUN_ID}-n0-a1`],
    );
    assert.deepEqual(notices, ['node-a: agent restarted mid-job; job sent again (attempt 2)']);
  });
});
