import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeSampleBundle, type SampleBundle } from '../helpers/fixtures/index.js';
import { readStandInLog, standInEnv } from '../helpers/kube-stand-ins.js';
import { startLocalFleet, type LocalFleet } from '../helpers/local-fleet.js';
import { statusRows, upgrade } from './fleet-checks.js';

describe('agent health, as `airlift status` and preflight see it', { timeout: 600_000 }, () => {
  let fleet: LocalFleet;
  let bundle: SampleBundle;

  before(async () => {
    fleet = await startLocalFleet([
      { name: 'node-a', runtime: 'containerd' },
      { name: 'node-b', runtime: 'containerd' },
      { name: 'node-c', runtime: 'docker' },
    ]);
    bundle = await writeSampleBundle(fleet.dir, { layerBytes: 16 * 1024 });
  });
  after(async () => {
    await fleet.stop();
  });

  it('shows every agent healthy with its runtime, disk and version', async () => {
    const rows = await statusRows(fleet);
    assert.deepEqual(
      rows.map((r) => [r.node, r.health, r.state]),
      [
        ['node-a', 'healthy', 'ready'],
        ['node-b', 'healthy', 'ready'],
        ['node-c', 'healthy', 'ready'],
      ],
    );
  });

  it('agents reconnect by themselves when NATS goes away and comes back', async () => {
    const before = Date.now();
    await fleet.nats.restart({ downtimeMs: 2000 });
    for (const node of ['node-a', 'node-b', 'node-c']) {
      // A fresh beat, sent after the outage, not the last one from before it: that one can still read
      // healthy for a moment (stale takes 3 missed beats), so wait for a newer one.
      const deadline = Date.now() + 20_000;
      let row = await fleet.waitForHealth(node, 'healthy', 20_000);
      while (Date.parse(row.heartbeat.sentAt) <= before + 2000 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        row = await fleet.waitForHealth(node, 'healthy', Math.max(1, deadline - Date.now()));
      }
      assert.ok(Date.parse(row.heartbeat.sentAt) > before + 2000, `${node} beat again after the restart`);
    }
  });

  it('an agent that dies shows stale, then down; preflight refuses and names it', async () => {
    await fleet.killAgent('node-c');
    const stale = await fleet.waitForHealth('node-c', 'stale', 15_000);
    assert.ok(stale.ageMs > 3000, `stale after 3 missed beats (${stale.ageMs} ms)`);
    assert.equal((await statusRows(fleet)).find((r) => r.node === 'node-c')?.health, 'stale');
    await fleet.waitForHealth('node-c', 'down', 20_000);
    assert.equal((await statusRows(fleet)).find((r) => r.node === 'node-c')?.health, 'down');

    const log = join(fleet.dir, 'kube-preflight.log');
    const run = await upgrade(fleet, bundle.path, join(fleet.dir, 'run-down'), standInEnv(log));
    assert.equal(run.exitCode, 7, run.stderr);
    assert.match(run.stderr, /agent node-c: agent is down \(last heartbeat \d+ s ago\)/);
    assert.ok(!(await readStandInLog(log)).some((c) => c.argv[0] === 'upgrade' || c.argv[0] === 'apply'));

    const without = await upgrade(
      fleet,
      bundle.path,
      join(fleet.dir, 'run-ab'),
      standInEnv(join(fleet.dir, 'k2.log')),
      ['--nodes', 'node-a,node-b'],
    );
    assert.equal(without.exitCode, 0, `leaving the dead node out works: ${without.stderr}`);
  });

  it('an agent stopped with SIGTERM drains and says goodbye: down at once, left out of --nodes all', async () => {
    await fleet.stopAgent('node-b');
    const row = await fleet.waitForHealth('node-b', 'down', 5_000);
    assert.equal(row.heartbeat.state, 'stopped');
    await fleet.startAgent('node-b');
    assert.equal((await statusRows(fleet)).find((r) => r.node === 'node-b')?.health, 'healthy');
  });
});
