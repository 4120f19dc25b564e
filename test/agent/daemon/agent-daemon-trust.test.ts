import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { SigningKey, seal } from '../../../shared/trust/index.js';
import { wireJob } from '../../shared/control/control-fixtures.js';
import { AgentHarness } from './daemon-kit.js';

/** FetchPieces calls the origin has seen from node-a: a refused job must fetch nothing. */
const fetches = (agent: AgentHarness): number => agent.origin.server.stats().nodes['node-a']?.fetches ?? 0;

describe('AgentDaemon: only the coordinator commands it', { timeout: 20_000 }, () => {
  let agent: AgentHarness;
  afterEach(async () => {
    await agent.close();
  });

  it('refuses unsigned, forged and tampered jobs, logs and counts each, and runs none of them', async () => {
    agent = new AgentHarness({ heartbeatIntervalMs: 25 });
    await agent.start();
    const job = wireJob(agent.origin.job({ node: 'node-a', jobId: 'attack-1' }));
    const unsigned = await agent.send(Buffer.from(JSON.stringify({ v: 1, body: JSON.stringify(job) })));
    assert.match(unsigned.reason ?? '', /the job is not signed/);
    // A key the agent does not trust, claiming to be the coordinator.
    const rogue = SigningKey.generate();
    const forged = await agent.send(seal('job', job, { name: 'coordinator', key: rogue }));
    assert.match(forged.reason ?? '', /signature does not match coordinator's key/);
    const stranger = await agent.send(seal('job', job, { name: 'mallory', key: rogue }));
    assert.match(stranger.reason ?? '', /signed by "mallory", whom this process does not trust/);
    // A real signature over another body: the registry swapped after signing.
    const real = JSON.parse(Buffer.from(agent.signedJob({ jobId: 'attack-2' })).toString()) as {
      body: string;
    };
    const tampered = {
      ...(JSON.parse(real.body) as Record<string, unknown>),
      payload: {
        ...job.payload,
        plan: {
          entries: [
            {
              source: 'a/b:1',
              target: 'attacker.example/pwned:1',
              configDigest: job.payload.plan.entries[0]?.configDigest,
            },
          ],
          unnamedImages: [],
        },
      },
    };
    const swapped = await agent.send(
      Buffer.from(JSON.stringify({ ...real, body: JSON.stringify(tampered) })),
    );
    assert.match(swapped.reason ?? '', /signature does not match/);
    // A job signed for another purpose (an ack's signature) is not a job.
    const asAck = await agent.send(seal('ack', job, agent.keys.coordinatorTrust().sealer));
    assert.match(asAck.reason ?? '', /signature does not match/);

    for (const ack of [unsigned, forged, stranger, swapped, asAck]) assert.equal(ack.accepted, false);
    // The refusal echoes the id the message claimed, so the coordinator can tell the operator why.
    assert.equal(forged.jobId, 'attack-1');
    const counted = await agent.heartbeats.waitFor(
      'a heartbeat counting 5 refusals',
      (h) => h.refusals.total === 5,
    );
    assert.match(counted.refusals.last?.reason ?? '', /signature does not match/);
    assert.equal(fetches(agent), 0, 'nothing was fetched');
    assert.equal(agent.runtime.calls.includes('load'), false, 'nothing was loaded');
    assert.equal(agent.daemon.busy, false);
  });

  it('refuses a replayed job id, even with a new signature, and a stale or future-dated job', async () => {
    agent = new AgentHarness({ jobWindow: { maxAgeMs: 60_000, maxSkewMs: 5_000 } });
    await agent.start();
    const first = agent.signedJob({ jobId: 'job-1' });
    assert.equal((await agent.send(first)).accepted, true);
    await agent.untilReport('job-1');
    // The same bytes again, and the same id signed afresh.
    assert.match((await agent.send(first)).reason ?? '', /job job-1 was already accepted once \(replayed\)/);
    assert.match((await agent.send({ jobId: 'job-1' })).reason ?? '', /already accepted once/);
    const old = new Date(Date.now() - 120_000).toISOString();
    assert.match(
      (await agent.send({ jobId: 'job-2', issuedAt: old })).reason ?? '',
      /more than 60 s ago \(stale or replayed\)/,
    );
    const ahead = new Date(Date.now() + 60_000).toISOString();
    assert.match(
      (await agent.send({ jobId: 'job-3', issuedAt: ahead })).reason ?? '',
      /ahead of this node's clock/,
    );
    assert.equal(fetches(agent), 1, 'only the first job fetched');
  });

  it('remembers accepted job ids across a restart of the agent', async () => {
    agent = new AgentHarness();
    await agent.start();
    const job = agent.signedJob({ jobId: 'job-1' });
    assert.equal((await agent.send(job)).accepted, true);
    await agent.untilReport('job-1');
    // A new agent process on the same spool dir.
    agent = await agent.restarted();
    await agent.start();
    assert.match((await agent.send(job)).reason ?? '', /already accepted once/);
  });
});
