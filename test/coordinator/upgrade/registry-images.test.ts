import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registryPayload } from '../../../coordinator/upgrade/registry-images.js';
import { jobSchema } from '../../../shared/control/index.js';
import { FleetKit, RUN_ID } from './upgrade-kit.js';

const CONFIG_A = `sha256:${'a'.repeat(64)}`;
const CONFIG_B = `sha256:${'b'.repeat(64)}`;

const retags = {
  entries: [
    { source: 'release.daocloud.io/k/a:1', target: 'reg.local:5000/k/a:1', configDigest: CONFIG_A },
    { source: 'release.daocloud.io/k/a:latest', target: 'reg.local:5000/k/a:latest', configDigest: CONFIG_A },
    { source: 'docker.io/k/a:1', target: 'reg.local:5000/k/a:1', configDigest: CONFIG_A },
    { source: 'release.daocloud.io/k/b:1', target: 'reg.local:5000/k/b:1', configDigest: CONFIG_B },
  ],
};

describe('registryPayload', () => {
  it('lists every retag target once with the bundle’s config digest; plain HTTP only when asked', () => {
    const payload = registryPayload({ prePull: true, timeoutMs: 60_000 }, retags);
    assert.deepEqual(payload, {
      images: [
        { reference: 'reg.local:5000/k/a:1', configDigest: CONFIG_A },
        { reference: 'reg.local:5000/k/a:latest', configDigest: CONFIG_A },
        { reference: 'reg.local:5000/k/b:1', configDigest: CONFIG_B },
      ],
      prePull: true,
      access: { plainHttp: [] },
      timeoutMs: 60_000,
    });
    const plain = registryPayload({ registryPlainHttp: true, timeoutMs: 1000 }, retags);
    assert.equal(plain.prePull, false);
    assert.deepEqual(plain.access, { plainHttp: ['reg.local:5000'] });
  });

  it('makes a job the agents’ schema accepts, and the schema refuses a malformed one', () => {
    const base = {
      v: 1,
      kind: 'check-registry-images',
      jobId: `${RUN_ID}-n0`,
      runId: RUN_ID,
      node: 'node-a',
      issuedAt: new Date().toISOString(),
    };
    const payload = registryPayload({ timeoutMs: 1000 }, retags);
    assert.equal(jobSchema.safeParse({ ...base, payload }).success, true);
    const empty = jobSchema.safeParse({ ...base, payload: { ...payload, images: [] } });
    assert.equal(empty.success, false);
    const badDigest = { ...payload, images: [{ reference: 'reg.local:5000/k/a:1', configDigest: 'md5:x' }] };
    assert.equal(jobSchema.safeParse({ ...base, payload: badDigest }).success, false);
  });
});

describe('distribute with a registry payload', { timeout: 20_000 }, () => {
  it('sends every node a check-registry-images job and collects the reports', async () => {
    const kit = await new FleetKit().open();
    for (const node of ['node-a', 'node-b'])
      await kit.agent(node, {
        ack: 'accept',
        then: (m) => {
          m.succeed();
        },
      });
    const { outcomes } = await kit.distribute(['node-a', 'node-b'], {
      registryPayload: registryPayload({ prePull: true, timeoutMs: 5000 }, retags),
    });
    assert.deepEqual(
      outcomes.map((o) => [o.node, o.ok]),
      [
        ['node-a', true],
        ['node-b', true],
      ],
    );
    assert.deepEqual(kit.jobs.map((j) => j.kind).sort(), ['check-registry-images', 'check-registry-images']);
    const sent = kit.jobs[0];
    assert.ok(sent?.kind === 'check-registry-images');
    assert.equal(sent.payload.prePull, true);
    assert.equal(sent.payload.images.length, 3);
  });
});
