import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { storedRuns, upgrade } from '../../e2e/fleet-checks.js';
import { writeSampleBundle, type SampleBundle } from '../../helpers/fixtures/index.js';
import { readStandInLog, standInEnv } from '../../helpers/kube-stand-ins.js';
import { startLocalFleet, type LocalFleet } from '../../helpers/local-fleet.js';
import { runCli } from '../../helpers/run-cli.js';

const REGISTRY = '10.16.10.111';
const NS = 'kairship-system';
const FROM_REPO = ['--from-repo', 'airlift/kairship', '--version', '0.21.0', '--image-registry', REGISTRY];

describe(
  'airlift upgrade --from-repo and airlift rollback: the real CLI, one agent, recording helm and kubectl',
  { timeout: 600_000 },
  () => {
    let fleet: LocalFleet;
    let bundle: SampleBundle;
    let runs = 0;
    let logs = 0;
    const runDir = (): string => join(fleet.dir, `run-${++runs}`);
    const logFile = (): string => join(fleet.dir, `kube-${++logs}.log`);

    before(async () => {
      fleet = await startLocalFleet([{ name: 'node-a', runtime: 'containerd' }], { insecure: true });
      bundle = await writeSampleBundle(fleet.dir, { layerBytes: 16 * 1024 });
    });
    after(async () => {
      await fleet.stop();
    });

    it('--dry-run prints the exact argv of every step of the helm-repo procedure and runs none of them', async () => {
      const dir = runDir();
      const log = logFile();
      const run = await upgrade(fleet, bundle.path, dir, standInEnv(log), [
        ...FROM_REPO,
        '--repo-url',
        'https://charts.example.com/airlift',
        '--dry-run',
      ]);
      assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
      const pulled = join(dir, 'pulled');
      for (const line of [
        '$ helm repo list -o json',
        '$ helm repo add airlift https://charts.example.com/airlift',
        '$ helm repo update airlift',
        '$ helm search repo airlift/kairship --versions -o json',
        `$ helm get values kairship -n ${NS} -o yaml`,
        `$ helm pull airlift/kairship --version 0.21.0 --untar --untardir ${pulled}`,
        `$ kubectl apply -f ${join(pulled, 'kairship', 'crds')}`,
        `$ helm upgrade kairship airlift/kairship -n ${NS} -f ${join(dir, 'bak.yaml')} --set global.imageRegistry=${REGISTRY} --version 0.21.0`,
      ]) {
        assert.ok(run.stdout.includes(line), `${line}\nnot in:\n${run.stdout}`);
      }
      // Preflight asks whether helm knows the repository; nothing else of the procedure runs.
      const ran = (await readStandInLog(log)).map((c) => c.argv.slice(0, 2).join(' '));
      assert.ok(
        !ran.some((sub) => /^(repo (add|update)|search|pull|upgrade|apply)\b/.test(sub)),
        ran.join(', '),
      );
    });

    it('runs the helm-repo procedure in order, adding the repository, and records it with the revision', async () => {
      const dir = runDir();
      const log = logFile();
      const env = standInEnv(log, { AIRLIFT_STANDIN_REPOS: 'none', AIRLIFT_STANDIN_REVISION: '3' });
      const run = await upgrade(fleet, bundle.path, dir, env, [
        ...FROM_REPO,
        '--repo-url',
        'https://charts.example.com/airlift',
      ]);
      assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
      const calls = (await readStandInLog(log)).map((c) => [c.tool, ...c.argv].join(' '));
      // Preflight lists the repositories first; the kube phase's procedure starts at the last listing.
      const kube = calls.slice(calls.lastIndexOf('helm repo list -o json'));
      assert.deepEqual(kube, [
        'helm repo list -o json',
        'helm repo add airlift https://charts.example.com/airlift',
        'helm repo update airlift',
        'helm search repo airlift/kairship --versions -o json',
        `helm status kairship -n ${NS} -o json`,
        `helm get values kairship -n ${NS} -o yaml`,
        `helm pull airlift/kairship --version 0.21.0 --untar --untardir ${join(dir, 'pulled')}`,
        `kubectl apply -f ${join(dir, 'pulled', 'kairship', 'crds')}`,
        `helm upgrade kairship airlift/kairship -n ${NS} -f ${join(dir, 'bak.yaml')} --set global.imageRegistry=${REGISTRY} --version 0.21.0`,
      ]);
      assert.ok(existsSync(join(dir, 'pulled', 'kairship', 'Chart.yaml')));
      const stored = (await storedRuns(fleet)).at(-1);
      assert.equal(stored?.phase, 'done');
      assert.equal(stored.revisionBefore, 3);
      assert.equal(stored.parameters?.fromRepo, 'airlift/kairship');
      assert.equal(stored.parameters.repoUrl, 'https://charts.example.com/airlift');
    });

    it('a version the repository lacks: preflight stops (exit 7) listing the versions it has, before any job', async () => {
      const log = logFile();
      const run = await upgrade(
        fleet,
        bundle.path,
        runDir(),
        standInEnv(log, { AIRLIFT_STANDIN_REPO_VERSIONS: '0.19.0,0.20.0' }),
        FROM_REPO,
      );
      assert.equal(run.exitCode, 7, `${run.stdout}\n${run.stderr}`);
      assert.match(
        `${run.stdout}\n${run.stderr}`,
        /helm-repo.*airlift\/kairship 0\.21\.0 is not in repository airlift: versions listed: 0\.19\.0, 0\.20\.0/,
      );
      assert.doesNotMatch(run.stdout, /run id/, 'no run began');
      const ran = (await readStandInLog(log)).map((c) => c.argv[0]);
      assert.ok(!ran.includes('pull') && !ran.includes('upgrade') && !ran.includes('apply'), ran.join(' '));
    });

    it('--from-repo without --version, or --repo-url alone: exit 2 before connecting', async () => {
      const noVersion = await upgrade(fleet, bundle.path, runDir(), standInEnv(logFile()), [
        '--from-repo',
        'airlift/kairship',
      ]);
      assert.equal(noVersion.exitCode, 2, noVersion.stderr);
      assert.match(noVersion.stderr, /--version.*required with --from-repo/);
      const urlAlone = await upgrade(fleet, bundle.path, runDir(), standInEnv(logFile()), [
        '--repo-url',
        'https://x.example',
      ]);
      assert.equal(urlAlone.exitCode, 2, urlAlone.stderr);
      assert.match(urlAlone.stderr, /--repo-url/);
    });

    it('after a failed helm upgrade, airlift rollback returns the release to the revision recorded before the run', async () => {
      const failed = await upgrade(
        fleet,
        bundle.path,
        runDir(),
        standInEnv(logFile(), { AIRLIFT_STANDIN_FAIL: 'helm-upgrade', AIRLIFT_STANDIN_REVISION: '4' }),
      );
      assert.equal(failed.exitCode, 9, `${failed.stdout}\n${failed.stderr}`);
      const runId = /airlift rollback (r\d{8}-\S+)/.exec(failed.stderr)?.[1];
      assert.ok(runId !== undefined, `the failure offers airlift rollback <run id>: ${failed.stderr}`);
      assert.match(failed.stderr, /to go back to revision 4 \(the release before this run\)/);

      // The failed upgrade made revision 5.
      const after = { AIRLIFT_STANDIN_REVISION: '5', AIRLIFT_STANDIN_RELEASE_STATUS: 'failed' };
      const noTty = await runCli(['rollback', runId, ...fleet.coordinatorArgs], standInEnv(logFile(), after));
      assert.equal(noTty.exitCode, 2, `${noTty.stdout}\n${noTty.stderr}`);
      assert.match(noTty.stderr, /pass --yes/);

      const dryLog = logFile();
      const dry = await runCli(
        ['rollback', runId, '--dry-run', ...fleet.coordinatorArgs],
        standInEnv(dryLog, after),
      );
      assert.equal(dry.exitCode, 0, `${dry.stdout}\n${dry.stderr}`);
      assert.match(dry.stdout, /now {5}revision 5: chart kairship-0\.20\.0, app 0\.20\.0, failed/);
      assert.match(dry.stdout, /back to revision 4: chart kairship-0\.20\.0/);
      assert.match(dry.stdout, /values {2}the same at both revisions/);
      assert.match(dry.stdout, new RegExp(`\\$ helm rollback kairship 4 -n ${NS}\\n?`));
      assert.ok(!(await readStandInLog(dryLog)).some((c) => c.argv[0] === 'rollback'));

      const log = logFile();
      const done = await runCli(
        ['rollback', runId, '--yes', ...fleet.coordinatorArgs],
        standInEnv(log, after),
      );
      assert.equal(done.exitCode, 0, `${done.stdout}\n${done.stderr}`);
      const rollbacks = (await readStandInLog(log)).filter((c) => c.argv[0] === 'rollback');
      assert.deepEqual(
        rollbacks.map((c) => c.argv),
        [['rollback', 'kairship', '4', '-n', NS]],
      );
      assert.match(done.stdout, /rolled kairship in kairship-system back to revision 4/);
      const stored = (await storedRuns(fleet)).find((r) => r.runId === runId);
      assert.equal(stored?.rollback?.revision, 4);
      assert.equal(stored.rollback.outcome, 'done');

      // At the recorded revision already: nothing runs.
      const atLog = logFile();
      const already = await runCli(
        ['rollback', runId, '--yes', ...fleet.coordinatorArgs],
        standInEnv(atLog, { AIRLIFT_STANDIN_REVISION: '4' }),
      );
      assert.equal(already.exitCode, 0, already.stderr);
      assert.match(already.stdout, /at revision 4 already: nothing to roll back/);
      assert.ok(!(await readStandInLog(atLog)).some((c) => c.argv[0] === 'rollback'));

      // A failing helm rollback: its error, a non-zero exit, and the failure recorded.
      const failing = await runCli(
        ['rollback', runId, '--yes', ...fleet.coordinatorArgs],
        standInEnv(logFile(), { ...after, AIRLIFT_STANDIN_FAIL: 'helm-rollback' }),
      );
      assert.notEqual(failing.exitCode, 0);
      assert.match(failing.stderr, /helm rollback kairship 4 .*failed/);
      const recorded = (await storedRuns(fleet)).find((r) => r.runId === runId);
      assert.equal(recorded?.rollback?.outcome, 'failed');
    });
  },
);
