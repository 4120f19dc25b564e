import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { storedRuns, upgradeArgs } from '../../e2e/fleet-checks.js';
import { writeSampleBundle, type SampleBundle } from '../../helpers/fixtures/index.js';
import { HELM_STAND_IN, KUBECTL_STAND_IN, standInEnv } from '../../helpers/kube-stand-ins.js';
import { startLocalFleet, type LocalFleet } from '../../helpers/local-fleet.js';
import { AIRLIFT_BIN } from '../../helpers/paths.js';
import type { CliRun } from '../../helpers/run-cli.js';

interface Event {
  readonly type: string;
  readonly at: string;
  readonly runId: string | null;
  readonly [field: string]: unknown;
}

/** Every stdout line as JSON: the test fails on any line that is not one object. */
function events(run: CliRun): Event[] {
  return run.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const event = JSON.parse(line) as Event;
      assert.equal(typeof event.type, 'string', line);
      assert.ok(!Number.isNaN(Date.parse(event.at)), line);
      assert.ok('runId' in event, line);
      return event;
    });
}

/** `airlift` run from `cwd`, as an operator in that directory would, bounded in time. */
async function cliIn(cwd: string, args: readonly string[], env: Record<string, string>): Promise<CliRun> {
  const result = await execa(process.execPath, [AIRLIFT_BIN, ...args], {
    cwd,
    reject: false,
    timeout: 120_000,
    env,
    stdin: 'ignore',
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

describe('airlift upgrade -o json and resume from another directory', { timeout: 400_000 }, () => {
  let fleet: LocalFleet;
  let bundle: SampleBundle;
  before(async () => {
    fleet = await startLocalFleet(
      [
        { name: 'node-a', runtime: 'containerd' },
        { name: 'node-b', runtime: 'containerd' },
      ],
      { insecure: true },
    );
    bundle = await writeSampleBundle(fleet.dir, { layerBytes: 64 * 1024 });
  });
  after(async () => {
    await fleet.stop();
  });

  it('writes only NDJSON events on stdout, in order, ending with run-finished and the results', async () => {
    const args = upgradeArgs(fleet, bundle.path, join(fleet.dir, 'run-json'), ['-o', 'json']);
    const run = await cliIn(fleet.dir, args, standInEnv(join(fleet.dir, 'kube-json.log')));
    assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
    const all = events(run);
    const started = all.findIndex((e) => e.type === 'run-started');
    assert.equal(started, 0, 'run-started comes first');
    const runId = all[0]?.runId;
    assert.match(String(runId), /^r\d{8}-/);
    for (const event of all) assert.equal(event.runId, runId, JSON.stringify(event));
    const last = all.at(-1);
    assert.ok(last !== undefined);
    assert.equal(last.type, 'run-finished');
    assert.equal(last.exitCode, 0);
    assert.equal(typeof last.durationMs, 'number');
    const results = last.results as { node: string; result: string; imagesVerified: number }[];
    assert.deepEqual(
      results.map((r) => [r.node, r.result, r.imagesVerified]),
      [
        ['node-a', 'verified', 5],
        ['node-b', 'verified', 5],
      ],
    );
    for (const node of ['node-a', 'node-b']) {
      const phases = all.filter((e) => e.type === 'node-phase' && e.node === node).map((e) => e.phase);
      assert.deepEqual(phases, ['loading', 'importing', 'verifying', 'done'], node);
      const mine = all.filter((e) => e.node === node);
      assert.equal(mine.at(-1)?.type, 'node-report', `${node}: the report ends its events`);
      assert.ok(
        mine.some((e) => e.type === 'node-progress' && e.bytesDone === e.bytesTotal),
        `${node}: the last byte is reported`,
      );
    }
    const firstReport = all.findIndex((e) => e.type === 'node-report');
    const kube = all.map((e, i) => [e, i] as const).filter(([e]) => e.type === 'kube-step');
    assert.ok(
      kube.length >= 2 && kube.every(([, i]) => i > firstReport),
      'the kube phase follows the barrier',
    );
    assert.ok(all.some((e) => e.type === 'step' && /barrier passed/.test(String(e.message))));
    assert.match(run.stderr, /barrier passed/, 'the lines for people go to stderr');
  });

  it('records absolute paths, so a run started in one directory resumes from another', async () => {
    const siteA = join(fleet.dir, 'site-a');
    const siteB = join(fleet.dir, 'site-b');
    mkdirSync(siteA);
    mkdirSync(siteB);
    const args = upgradeArgs(fleet, relative(siteA, bundle.path), 'runs/first', [
      '--helm',
      relative(siteA, HELM_STAND_IN),
      '--kubectl',
      relative(siteA, KUBECTL_STAND_IN),
      '--force-load',
    ]);
    const failed = await cliIn(
      siteA,
      args,
      standInEnv(join(fleet.dir, 'kube-a.log'), { AIRLIFT_STANDIN_FAIL: 'helm-upgrade' }),
    );
    assert.equal(failed.exitCode, 9, `${failed.stdout}\n${failed.stderr}`);
    assert.match(failed.stdout, /^\S+Z results:$/m, 'the results table, timestamped');
    assert.match(failed.stdout, /node-a +verified/);
    assert.match(failed.stdout, /total duration \d/);
    const stored = (await storedRuns(fleet)).at(-1);
    assert.ok(stored !== undefined);
    assert.equal(stored.bundle, bundle.path);
    assert.equal(stored.runDir, join(siteA, 'runs', 'first'));
    const { parameters } = stored;
    assert.ok(parameters !== undefined);
    assert.equal(parameters.helm, HELM_STAND_IN);
    assert.equal(parameters.kubectl, KUBECTL_STAND_IN);

    const resumed = await cliIn(
      siteB,
      ['resume', stored.runId, ...fleet.coordinatorArgs, '--listen', '127.0.0.1:0', '-o', 'json'],
      // No stand-ins on PATH: only the recorded absolute paths can find them.
      { ...standInEnv(join(fleet.dir, 'kube-b.log')), PATH: process.env.PATH ?? '/usr/bin:/bin' },
    );
    assert.equal(resumed.exitCode, 0, `${resumed.stdout}\n${resumed.stderr}`);
    const last = events(resumed).at(-1);
    assert.equal(last?.type, 'run-finished');
    assert.deepEqual(
      (last.results as { result: string }[]).map((r) => r.result),
      ['skipped', 'skipped'],
      'the nodes verified in the first attempt skip the load',
    );
  });
});
