import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeSampleBundle, type SampleBundle } from '../helpers/fixtures/index.js';
import { FIXTURES_DIR } from '../helpers/paths.js';
import { readStandInLog, standInEnv, STAND_IN_DEFAULT_VALUES } from '../helpers/kube-stand-ins.js';
import { startLocalFleet, type LocalFleet } from '../helpers/local-fleet.js';
import { runCli } from '../helpers/run-cli.js';
import { referencesOn, storedRuns, upgrade } from './fleet-checks.js';

const REGISTRY = '10.16.10.111';

describe(
  'airlift upgrade end to end: nats-server, 3 agent processes, real containerd and dockerd',
  { timeout: 600_000 },
  () => {
    let fleet: LocalFleet;
    let bundle: SampleBundle;
    let runs = 0;
    const runDir = (): string => join(fleet.dir, `run-${++runs}`);
    const logFile = (): string => join(fleet.dir, `kube-${runs}.log`);

    before(async () => {
      fleet = await startLocalFleet([
        { name: 'node-a', runtime: 'containerd' },
        { name: 'node-b', runtime: 'docker' },
        { name: 'node-c', runtime: 'containerd' },
      ]);
      bundle = await writeSampleBundle(fleet.dir, { layerBytes: 128 * 1024 });
    });
    after(async () => {
      await fleet.stop();
    });

    it('brings every node to hold every retagged image, then runs the kube commands in order with the exact argv', async () => {
      const dir = runDir();
      const log = logFile();
      const run = await upgrade(fleet, bundle.path, dir, standInEnv(log));
      assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
      for (const node of fleet.nodes) {
        const held = await referencesOn(node);
        for (const reference of bundle.references) {
          const target = reference.replace(/^[^/]+/, REGISTRY);
          assert.ok(held.includes(target), `${node.name} lacks ${target}; holds ${held.join(', ')}`);
        }
      }
      const calls = (await readStandInLog(log)).map((c) => [c.tool, ...c.argv]);
      const mutating = calls.filter((argv) => argv.includes('apply') || argv.includes('upgrade'));
      assert.deepEqual(mutating, [
        ['kubectl', 'apply', '-f', join(dir, 'chart', 'crds')],
        [
          'helm',
          'upgrade',
          'kairship',
          join(dir, 'chart'),
          '-n',
          'kairship-system',
          '-f',
          join(dir, 'bak.yaml'),
          '--set',
          `global.imageRegistry=${REGISTRY}`,
        ],
      ]);
      const getValues = calls.findIndex(
        (argv) => argv.join(' ') === 'helm get values kairship -n kairship-system -o yaml',
      );
      const apply = calls.findIndex((argv) => argv[1] === 'apply');
      assert.ok(getValues >= 0 && getValues < apply, 'values are backed up before the CRDs are applied');
      assert.equal(readFileSync(join(dir, 'bak.yaml'), 'utf8'), STAND_IN_DEFAULT_VALUES);
      assert.ok(existsSync(join(dir, 'chart', 'crds', 'kairship.io_clusters.yaml')));
      const stored = (await storedRuns(fleet)).at(-1);
      assert.equal(stored?.phase, 'done');
      assert.deepEqual(
        Object.values(stored.nodes).map((n) => n.status),
        ['verified', 'verified', 'verified'],
      );
    });

    it('passes --version to helm upgrade when given, and skips the load on nodes that already hold everything', async () => {
      const dir = runDir();
      const log = logFile();
      const run = await upgrade(fleet, bundle.path, dir, standInEnv(log), [
        '--version',
        '0.21.0',
        '--image-registry',
        REGISTRY,
      ]);
      assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
      const upgradeCall = (await readStandInLog(log)).find((c) => c.argv[0] === 'upgrade');
      assert.deepEqual(upgradeCall?.argv.slice(-2), ['--version', '0.21.0']);
      const report = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as {
        outcomes: { report: { bytesLoaded: number } }[];
      };
      assert.deepEqual(
        report.outcomes.map((o) => o.report.bytesLoaded),
        [0, 0, 0],
      );
    });

    it('--distribution tree: every node gets half the archive from each of two sources, each source sends it once', async () => {
      const dir = runDir();
      const log = logFile();
      // An archive of its own: the nodes' spools still hold the first test's, and would not fetch a piece.
      mkdirSync(join(fleet.dir, 'tree'));
      const own = await writeSampleBundle(join(fleet.dir, 'tree'), { layerBytes: 96 * 1024 });
      const run = await upgrade(fleet, own.path, dir, standInEnv(log), [
        '--distribution',
        'tree',
        '--stripes',
        '2',
        '--piece-size',
        '16KiB',
        '--image-registry',
        REGISTRY,
      ]);
      assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
      const report = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as {
        outcomes: { node: string; report: { transfer: { bytesFromSource: Record<string, number> } } }[];
      };
      const size = own.spec.imagesTar.length;
      const piece = 16 * 1024;
      // Three nodes, two stripes: one node is interior in each stripe's tree and the coordinator feeds
      // both roots, so three addresses each send one stripe to two receivers: about S each.
      const sent = new Map<string, number>();
      for (const { node, report: nodeReport } of report.outcomes) {
        const sources = Object.entries(nodeReport.transfer.bytesFromSource);
        assert.equal(sources.length, 2, `${node} fetched from ${sources.map(([a]) => a).join(', ')}`);
        for (const [address, bytes] of sources) {
          assert.ok(
            Math.abs(bytes - size / 2) <= piece,
            `${node} got ${bytes} of ${size} bytes from ${address}`,
          );
          sent.set(address, (sent.get(address) ?? 0) + bytes);
        }
      }
      assert.equal(sent.size, 3, [...sent.keys()].join(', '));
      for (const [address, bytes] of sent) {
        assert.ok(
          Math.abs(bytes - size) <= piece,
          `${address} sent ${bytes} bytes for an archive of ${size}`,
        );
      }
      for (const node of fleet.nodes) {
        const held = await referencesOn(node);
        for (const reference of own.references) {
          const target = reference.replace(/^[^/]+/, REGISTRY);
          assert.ok(held.includes(target), `${node.name} lacks ${target}; holds ${held.join(', ')}`);
        }
      }
    });

    it('--dry-run prints the plan and the exact commands, and changes nothing', async () => {
      const dir = runDir();
      const log = logFile();
      const before = (await storedRuns(fleet)).length;
      const run = await upgrade(fleet, bundle.path, dir, standInEnv(log), [
        '--dry-run',
        '--image-registry',
        '10.9.9.9',
      ]);
      assert.equal(run.exitCode, 0, run.stderr);
      assert.match(run.stdout, /plan \(dry run: nothing was changed\)/);
      assert.match(
        run.stdout,
        /release\.daocloud\.io\/kairship\/kairship-apiserver:v0\.21\.0 -> 10\.9\.9\.9\/kairship\/kairship-apiserver:v0\.21\.0/,
      );
      assert.match(
        run.stdout,
        /\$ helm upgrade kairship \S+chart -n kairship-system -f \S+bak\.yaml --set global\.imageRegistry=10\.9\.9\.9/,
      );
      assert.match(run.stdout, /\$ kubectl apply -f \S+crds/);
      for (const name of ['node-a', 'node-b', 'node-c'])
        assert.match(run.stdout, new RegExp(`  ${name}  healthy`));
      const calls = await readStandInLog(log);
      assert.ok(
        !calls.some((c) => c.argv[0] === 'upgrade' || c.argv[0] === 'apply'),
        'no mutating command ran',
      );
      assert.equal((await storedRuns(fleet)).length, before, 'no run was recorded');
      assert.equal(existsSync(dir), false, 'no run directory was made');
      for (const node of fleet.nodes) {
        assert.ok(
          !(await referencesOn(node)).some((r) => r.startsWith('10.9.9.9/')),
          `${node.name} was not touched`,
        );
      }
    });

    it('a failing helm upgrade exits 9 with its stderr shown and keeps bak.yaml; resume finishes it', async () => {
      const dir = runDir();
      const run = await upgrade(
        fleet,
        bundle.path,
        dir,
        standInEnv(logFile(), { AIRLIFT_STANDIN_FAIL: 'helm-upgrade' }),
      );
      assert.equal(run.exitCode, 9, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stderr, /helm-upgrade/);
      assert.match(run.stderr, /--- stderr of \S*helm ---\n.*Error/s);
      assert.equal(readFileSync(join(dir, 'bak.yaml'), 'utf8'), STAND_IN_DEFAULT_VALUES);
      assert.equal((await storedRuns(fleet)).at(-1)?.phase, 'failed');

      // The release's values may now name what the failed attempt set; resume must keep the first backup.
      const changed = join(fleet.dir, 'values-after-failure.yaml');
      writeFileSync(changed, 'global:\n  imageRegistry: changed.example\n');
      const runId = /airlift resume (r\d{8}-\S+)/.exec(run.stderr)?.[1];
      assert.ok(runId !== undefined, `the run id to resume is printed: ${run.stderr}`);
      const resumeLog = logFile();
      const resumed = await runCli(
        ['resume', runId, ...fleet.coordinatorArgs, '--listen', '127.0.0.1:0'],
        standInEnv(resumeLog, { AIRLIFT_STANDIN_VALUES_FILE: changed }),
      );
      assert.equal(resumed.exitCode, 0, `${resumed.stdout}\n${resumed.stderr}`);
      assert.match(resumed.stdout, /resuming run \S+ \(it stopped in phase failed: .*helm-upgrade/);
      assert.equal(
        readFileSync(join(dir, 'bak.yaml'), 'utf8'),
        STAND_IN_DEFAULT_VALUES,
        'the first backup is kept',
      );
      const upgradeCall = (await readStandInLog(resumeLog)).find((c) => c.argv[0] === 'upgrade');
      assert.ok(upgradeCall?.argv.includes(join(dir, 'bak.yaml')) === true);
      assert.ok(upgradeCall.argv.includes(`global.imageRegistry=${REGISTRY}`));
    });

    it('refuses to start when the release does not exist (exit 7), naming the release', async () => {
      const run = await upgrade(
        fleet,
        bundle.path,
        runDir(),
        standInEnv(logFile(), { AIRLIFT_STANDIN_FAIL: 'helm-status' }),
      );
      assert.equal(run.exitCode, 7, run.stderr);
      assert.match(run.stderr, /preflight failed; nothing was changed/);
      assert.match(run.stderr, /release: .*kairship/);
    });
  },
);

describe('a node whose runtime refuses to retag', { timeout: 600_000 }, () => {
  let fleet: LocalFleet;
  let bundle: SampleBundle;

  before(async () => {
    fleet = await startLocalFleet([
      { name: 'good-1', runtime: 'containerd' },
      {
        name: 'broken-2',
        runtime: 'containerd',
        // The ctr importer: the API importer names the targets through containerd and never calls ctr.
        agentArgs: ['--containerd-importer', 'ctr', '--ctr', join(FIXTURES_DIR, 'bin', 'ctr-refusing-tag')],
      },
      { name: 'good-3', runtime: 'docker' },
    ]);
    bundle = await writeSampleBundle(fleet.dir, { layerBytes: 64 * 1024 });
  });
  after(async () => {
    await fleet.stop();
  });

  it('stops at the barrier before any cluster change, exits 8 and names that node and why', async () => {
    const dir = join(fleet.dir, 'run');
    const log = join(fleet.dir, 'kube.log');
    const run = await upgrade(fleet, bundle.path, dir, standInEnv(log));
    assert.equal(run.exitCode, 8, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /FAIL broken-2: 0\/5 references verified — .*injected fault/);
    assert.match(run.stdout, /ok {3}good-1: 5\/5/);
    assert.match(run.stderr, /barrier: 1 of 3 node\(s\) did not verify every image: broken-2/);
    assert.match(run.stderr, /no helm or kubectl command ran/);
    const calls = await readStandInLog(log);
    assert.ok(
      !calls.some((c) => c.argv[0] === 'upgrade' || c.argv[0] === 'apply'),
      `only read-only preflight commands ran: ${JSON.stringify(calls.map((c) => c.argv))}`,
    );
    assert.equal(existsSync(join(dir, 'bak.yaml')), false);
    assert.equal((await storedRuns(fleet)).at(-1)?.nodes['broken-2']?.status, 'failed');
  });
});
