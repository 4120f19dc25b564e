import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import type { JobEvent } from '../../../shared/control/index.js';
import { seal } from '../../../shared/trust/index.js';
import { archiveIdOf } from '../../../shared/pieces/index.js';
import { loadImagesJob, mutate } from '../../shared/control/control-fixtures.js';
import { AgentHarness, PIECE_SIZE } from './daemon-kit.js';

const JOB = loadImagesJob();

/** FetchPieces calls the origin has seen from node-a. */
const fetches = (agent: AgentHarness): number => agent.origin.server.stats().nodes['node-a']?.fetches ?? 0;

function shape(events: readonly JobEvent[]): string[] {
  return events.map((e) =>
    e.body.type === 'phase' ? e.body.phase : e.body.type === 'progress' ? 'progress' : 'report',
  );
}

describe('AgentDaemon jobs', { timeout: 20_000 }, () => {
  let agent: AgentHarness;
  afterEach(async () => {
    await agent.close();
  });

  it('accepts a valid job and publishes its events in order, numbered, ending with the report', async () => {
    agent = new AgentHarness();
    await agent.start();
    const ack = await agent.send({});
    assert.deepEqual(
      { ...ack, bootId: undefined },
      { v: 1, jobId: JOB.jobId, node: 'node-a', accepted: true, bootId: undefined },
    );
    assert.equal(
      ack.bootId,
      (await agent.stored())?.bootId,
      'the ack names the agent process that took the job',
    );
    const events = await agent.untilReport();

    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i),
      'seq counts up from 0 with no gaps',
    );
    for (const e of events) {
      assert.equal(e.runId, JOB.runId);
      assert.equal(e.node, 'node-a');
    }
    const kinds = shape(events);
    assert.equal(kinds[0], 'loading');
    assert.deepEqual(
      kinds.filter((k) => k !== 'progress'),
      ['loading', 'importing', 'verifying', 'done', 'report'],
    );
    assert.ok(kinds.lastIndexOf('progress') < kinds.indexOf('importing'), 'progress only while loading');
    const size = agent.origin.bytes.length;
    const progress = events.flatMap((e) => (e.body.type === 'progress' ? [e.body] : []));
    assert.ok(progress.length >= 1 && progress.length <= 3, `${progress.length} progress events`);
    assert.equal(progress[0]?.bytesDone, PIECE_SIZE, 'the first piece is reported at once');
    assert.deepEqual(progress.at(-1), {
      type: 'progress',
      bytesDone: size,
      bytesTotal: size,
      rate: progress.at(-1)?.rate,
    });
    const last = events.at(-1)?.body;
    assert.ok(last?.type === 'report');
    assert.equal(last.report.ok, true);
    assert.equal(last.report.node, 'node-a');
    assert.deepEqual(
      last.report.images.map((i) => [i.target, i.verified]),
      [
        ['10.6.0.1/k/api:v1', true],
        ['10.6.0.1/k/ui:v1', true],
      ],
    );

    assert.equal(last.report.transfer?.piecesReceived, 3);
    assert.deepEqual(last.report.transfer.bytesFromSource, { [agent.origin.address]: size });
    assert.equal(agent.origin.server.stats().nodes['node-a']?.completed, 1, 'fetched as node-a');
    assert.ok(agent.runtime.calls.includes('load'));
    assert.ok(agent.endpoint.served.has(archiveIdOf(agent.origin.manifest)), 'offers its pieces to peers');
    await agent.heartbeats.waitFor('a heartbeat after the job', (h) => h.state === 'ready', 1);
    assert.equal(agent.daemon.busy, false);
  });

  it('reports a failed load in the report, and is ready for the next job', async () => {
    agent = new AgentHarness();
    await agent.start();
    agent.runtime.failLoad = 'archive is not a tar';
    assert.equal((await agent.send({})).accepted, true);
    const report = (await agent.untilReport()).at(-1)?.body;
    assert.ok(report?.type === 'report');
    assert.equal(report.report.ok, false);
    assert.match(report.report.error?.message ?? '', /archive is not a tar/);
    agent.runtime.failLoad = undefined;
    assert.equal((await agent.send({ jobId: 'second' })).accepted, true);
    assert.equal((await agent.untilReport('second')).at(-1)?.body.type, 'report');
  });

  it('refuses a malformed job with the reason, and stays ready', async () => {
    agent = new AgentHarness();
    await agent.start();
    const signed = (message: unknown): Uint8Array =>
      seal('job', message, agent.keys.coordinatorTrust().sealer);
    const notJson = await agent.send(new TextEncoder().encode('load everything'));
    assert.equal(notJson.accepted, false);
    assert.equal(notJson.jobId, 'unknown');
    assert.equal(notJson.node, 'node-a');
    assert.match(notJson.reason ?? '', /not a signed airlift message/);

    const badDigest = mutate(loadImagesJob(), 'payload.archive.sha256', 'sha256:nothex');
    const refused = await agent.send(signed(badDigest));
    assert.equal(refused.accepted, false);
    assert.match(refused.reason ?? '', /field payload\.archive\.sha256/);

    const unknownKind = await agent.send(signed(mutate(loadImagesJob(), 'kind', 'run-shell')));
    assert.equal(unknownKind.accepted, false);
    assert.match(unknownKind.reason ?? '', /field kind/);

    assert.equal(agent.daemon.busy, false);
    assert.equal(fetches(agent), 0, 'nothing was fetched');
    assert.equal((await agent.send({})).accepted, true);
    await agent.untilReport();
  });

  it('refuses a job addressed to another node', async () => {
    agent = new AgentHarness();
    await agent.start();
    const ack = await agent.send({ node: 'node-b' });
    assert.deepEqual(
      { ...ack, bootId: undefined },
      {
        v: 1,
        jobId: JOB.jobId,
        node: 'node-a',
        accepted: false,
        reason: 'job is for node node-b, this is node-a',
        bootId: undefined,
      },
    );
    assert.equal(fetches(agent), 0);
  });

  it('refuses a second job while busy, and takes the next one once done', async () => {
    agent = new AgentHarness();
    await agent.start();
    agent.origin.hold();
    assert.equal((await agent.send({ jobId: 'first' })).accepted, true);
    await agent.events.waitFor('first progress', (e) => e.body.type === 'progress');
    assert.equal(agent.daemon.busy, true);
    const second = await agent.send({ jobId: 'second' });
    assert.equal(second.accepted, false);
    assert.equal(second.jobId, 'second');
    assert.match(second.reason ?? '', /busy/);
    agent.origin.release();
    const beats = agent.heartbeats.items.length;
    await agent.untilReport('first');
    await agent.heartbeats.waitFor('ready again', (h) => h.state === 'ready', beats);
    assert.equal((await agent.send({ jobId: 'third' })).accepted, true);
    await agent.untilReport('third');
    assert.equal(fetches(agent), 1, 'the refused job fetched nothing; the third found every piece on disk');
  });

  it('says it is busy, with the job and its bytes, in the heartbeats while the job runs', async () => {
    agent = new AgentHarness({ heartbeatIntervalMs: 25 });
    await agent.start();
    agent.origin.hold();
    await agent.send({ jobId: 'job-1' });
    const busy = await agent.heartbeats.waitFor(
      'busy heartbeat with progress',
      (h) => h.state === 'busy' && (h.job?.bytesDone ?? 0) > 0,
    );
    assert.deepEqual(
      { ...busy.job, startedAt: undefined },
      {
        jobId: 'job-1',
        runId: JOB.runId,
        phase: 'loading',
        bytesDone: PIECE_SIZE,
        bytesTotal: agent.origin.bytes.length,
        startedAt: undefined,
      },
    );
    const beats = agent.heartbeats.items.indexOf(busy);
    agent.origin.release();
    await agent.untilReport('job-1');
    await agent.heartbeats.waitFor(
      'ready heartbeat',
      (h) => h.state === 'ready' && h.job === undefined,
      beats,
    );
  });

  it('counts a successful job as a runtime probe: the heartbeat after it starts no probe of its own', async () => {
    agent = new AgentHarness({ heartbeatIntervalMs: 25, runtimeProbeMs: 200 });
    await agent.start();
    agent.origin.hold();
    await agent.send({ jobId: 'job-1' });
    await agent.heartbeats.waitFor('busy heartbeat', (h) => h.state === 'busy');
    // Longer than the probe interval: without the job's word, the next idle heartbeat would probe.
    await sleep(400);
    const beats = agent.heartbeats.items.length;
    // The job asked the runtime at its start; nothing else may ask until the interval passes again.
    const probes = agent.runtime.calls.filter((c) => c === 'info').length;
    agent.origin.release();
    await agent.untilReport('job-1');
    const ready = await agent.heartbeats.waitFor('ready heartbeat', (h) => h.state === 'ready', beats);
    assert.equal(ready.runtime.ok, true);
    assert.equal(agent.runtime.calls.filter((c) => c === 'info').length, probes, 'no probe after the job');
    // Once the interval has passed again, the heartbeat probes as before.
    await sleep(300);
    const later = agent.heartbeats.items.length;
    await agent.heartbeats.waitFor('a later heartbeat', (h) => h.state === 'ready', later);
    assert.ok(agent.runtime.calls.filter((c) => c === 'info').length > probes, 'probes again later');
  });

  it('skips the transfer when every target is already verified and the job allows it', async () => {
    agent = new AgentHarness();
    await agent.start();
    for (const entry of JOB.payload.plan.entries)
      agent.runtime.images.set(entry.target, { configDigest: entry.configDigest, usable: true });
    await agent.send(agent.origin.job({}, { skipIfVerified: true }));
    const events = await agent.untilReport();
    assert.deepEqual(shape(events), ['verifying', 'done', 'report']);
    assert.equal(fetches(agent), 0);
    assert.equal(agent.observer.callbackErrors.length, 0);
  });
});
