import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { writeSampleBundle, type SampleBundle } from '../helpers/fixtures/index.js';
import { standInEnv } from '../helpers/kube-stand-ins.js';
import { startLocalFleet, type LocalFleet } from '../helpers/local-fleet.js';
import { runCli } from '../helpers/run-cli.js';
import { upgrade } from './fleet-checks.js';

interface RunJson {
  outcomes: {
    node: string;
    ok: boolean;
    report?: { transfer?: { resumedPieces: number; piecesReceived: number } };
  }[];
}

describe('an agent killed mid-transfer resumes from the pieces on its disk', { timeout: 300_000 }, () => {
  let fleet: LocalFleet;
  let bundle: SampleBundle;

  before(async () => {
    fleet = await startLocalFleet([
      { name: 'steady', runtime: 'containerd' },
      // Slow enough to be killed halfway: ~8 MiB at 2 MB/s.
      { name: 'flaky', runtime: 'containerd', agentArgs: ['--max-rate', '2MB/s'] },
    ]);
    bundle = await writeSampleBundle(fleet.dir, { layerBytes: 2 * 1024 * 1024 });
  });
  after(async () => {
    await fleet.stop();
  });

  it('the run fails naming the node; after a restart, resume fetches only the missing pieces', async () => {
    const dir = join(fleet.dir, 'run');
    const args = ['--piece-size', '256KiB', '--nodes', 'flaky,steady'];
    const running = upgrade(fleet, bundle.path, dir, standInEnv(join(fleet.dir, 'k1.log')), args);
    await sleep(2500);
    await fleet.killAgent('flaky');
    const first = await running;
    assert.equal(first.exitCode, 8, `${first.stdout}\n${first.stderr}`);
    assert.match(first.stdout, /FAIL flaky: .*its agent went silent \d+ s ago during the run/);

    await fleet.startAgent('flaky');
    const runId = /airlift resume (r\d{8}-\S+)/.exec(first.stderr)?.[1];
    assert.ok(runId !== undefined, first.stderr);
    const resumed = await runCli(
      ['resume', runId, ...fleet.coordinatorArgs, '--listen', '127.0.0.1:0', '--piece-size', '256KiB'],
      standInEnv(join(fleet.dir, 'k2.log')),
    );
    assert.equal(resumed.exitCode, 0, `${resumed.stdout}\n${resumed.stderr}`);
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunJson;
    const flaky = run.outcomes.find((o) => o.node === 'flaky');
    const transfer = flaky?.report?.transfer;
    assert.ok(transfer !== undefined, JSON.stringify(flaky));
    assert.ok(transfer.resumedPieces > 0, `kept pieces from the first attempt: ${JSON.stringify(transfer)}`);
    assert.ok(transfer.piecesReceived > 0, 'and fetched the rest');
  });
});
