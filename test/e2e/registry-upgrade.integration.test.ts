import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyRetagRule, formatReference, parseReference } from '../../shared/reference/index.js';
import { writeSampleBundle, type SampleBundle } from '../helpers/fixtures/index.js';
import { readStandInLog, standInEnv } from '../helpers/kube-stand-ins.js';
import { startLocalFleet, type LocalFleet } from '../helpers/local-fleet.js';
import { startRegistry, type RegistryInstance } from '../helpers/registry-instance.js';
import { startChartMuseumStandIn } from '../helpers/chartmuseum-stand-in.js';
import { runCli } from '../helpers/run-cli.js';
import { referencesOn, upgrade } from './fleet-checks.js';

/** Where the cluster pulls `reference` from once retagged to `registry` (what `airlift sync` pushes). */
function targetOf(reference: string, registry: string): string {
  return formatReference(applyRetagRule(parseReference(reference), { kind: 'registry', registry }));
}

describe(
  'airlift upgrade --images registry: agents check and pre-pull from a real registry',
  { timeout: 300_000 },
  () => {
    let fleet: LocalFleet | undefined;
    let registry: RegistryInstance | undefined;
    let bundle: SampleBundle;
    let runs = 0;

    before(async () => {
      registry = await startRegistry();
      fleet = await startLocalFleet([
        { name: 'node-a', runtime: 'containerd' },
        { name: 'node-b', runtime: 'containerd' },
      ]);
      bundle = await writeSampleBundle(fleet.dir, { layerBytes: 16 * 1024 });
    });
    after(async () => {
      await fleet?.stop();
      await registry?.stop();
    });

    /** One `--images registry` run against the test registry; `log` is where the kube stand-ins record. */
    function registryRun(
      extra: readonly string[],
      env: Readonly<Record<string, string>> = {},
    ): {
      done: ReturnType<typeof upgrade>;
      log: string;
      dir: string;
    } {
      assert.ok(fleet !== undefined && registry !== undefined);
      const run = ++runs;
      const log = join(fleet.dir, `kube-registry-${run}.log`);
      const dir = join(fleet.dir, `registry-run-${run}`);
      const done = upgrade(fleet, bundle.path, dir, standInEnv(log, env), [
        '--image-registry',
        registry.host,
        '--images',
        'registry',
        '--registry-plain-http',
        ...extra,
      ]);
      return { done, log, dir };
    }

    it('stops at the barrier, naming the images the registry lacks, and runs no helm upgrade', async () => {
      const running = registryRun([]);
      const run = await running.done;
      assert.equal(run.exitCode, 8, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /FAIL node-a: 0\/5 references verified/);
      assert.match(
        run.stdout,
        /5 of 5 references not verified; first: \S+: REGISTRY_IMAGE_NOT_FOUND: containerd: the registry has no image/,
      );
      assert.match(run.stderr, /barrier: 2 of 2 node\(s\) did not verify every image/);
      const calls = await readStandInLog(running.log);
      assert.ok(!calls.some((c) => c.argv[0] === 'upgrade'), 'helm upgrade must not run');
    });

    it('after airlift sync (images to the registry, chart to a ChartMuseum repo), --pre-pull --from-repo: every node pulls every image, then the helm-repo path runs', async () => {
      assert.ok(fleet !== undefined && registry !== undefined);
      const museum = await startChartMuseumStandIn();
      try {
        const config = join(fleet.dir, 'load-image.yaml');
        writeFileSync(
          config,
          `target:\n  containerRegistry: ${registry.host}\n  repo:\n    kind: CHARTMUSEUM\n    url: ${museum.url}\n`,
        );
        const sync = await runCli(['sync', bundle.path, '--config', config, '--insecure-registry']);
        assert.equal(sync.exitCode, 0, `${sync.stdout}\n${sync.stderr}`);
        assert.deepEqual(await museum.stored(), [`kairship-${bundle.version}.tgz`]);

        const running = registryRun(
          [
            '--pre-pull',
            '--from-repo',
            'site/kairship',
            '--version',
            bundle.version,
            '--repo-url',
            museum.url,
          ],
          { AIRLIFT_STANDIN_REPOS: 'none', AIRLIFT_STANDIN_REPO_VERSIONS: bundle.version },
        );
        const run = await running.done;
        assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
        const calls = await readStandInLog(running.log);
        const helm = calls.filter((c) => c.tool === 'helm').map((c) => c.argv.slice(0, 2).join(' '));
        const order = [
          'repo list',
          'repo add',
          'repo update',
          'search repo',
          'get values',
          'pull site/kairship',
          'upgrade kairship',
        ];
        let at = -1;
        for (const step of order) {
          const next = helm.findIndex(
            (call, i) => i > at && call.startsWith(step.split(' ')[0]!) && call.includes(step.split(' ')[1]!),
          );
          assert.ok(next > at, `helm ${step} after the steps before it: ${JSON.stringify(helm)}`);
          at = next;
        }
        assert.ok(
          calls.some((c) => c.argv.join(' ') === `repo add site ${museum.url}`),
          JSON.stringify(calls.map((c) => c.argv)),
        );
        const targets = bundle.references.map((reference) => targetOf(reference, registry?.host ?? ''));
        for (const node of fleet.nodes) {
          const held = await referencesOn(node);
          for (const target of targets) assert.ok(held.includes(target), `${node.name} lacks ${target}`);
        }
        const runJson = JSON.parse(readFileSync(join(running.dir, 'run.json'), 'utf8')) as {
          outcomes: { report: { images: { pulled?: boolean; verified: boolean }[] } }[];
        };
        for (const outcome of runJson.outcomes) {
          assert.ok(outcome.report.images.every((i) => i.pulled === true && i.verified));
        }
        const upgradeCall = (await readStandInLog(running.log)).find((c) => c.argv[0] === 'upgrade');
        assert.ok(
          upgradeCall?.argv.includes(`global.imageRegistry=${registry.host}`),
          JSON.stringify(upgradeCall),
        );
        assert.ok(upgradeCall?.argv.includes('site/kairship'), JSON.stringify(upgradeCall));
      } finally {
        await museum.close();
      }
    });
  },
);
