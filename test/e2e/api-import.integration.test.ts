import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { writeSampleBundle, type SampleBundle } from '../helpers/fixtures/index.js';
import { standInEnv } from '../helpers/kube-stand-ins.js';
import { startLocalFleet, type LocalFleet } from '../helpers/local-fleet.js';
import { referencesOn, upgrade } from './fleet-checks.js';

const REGISTRY = '10.16.10.111';

describe(
  'airlift upgrade with --containerd-importer api: blobs stream into containerd and layers unpack as pieces land',
  { timeout: 300_000 },
  () => {
    let fleet: LocalFleet;
    let bundle: SampleBundle;

    before(async () => {
      fleet = await startLocalFleet([
        // ctr that always fails: the import (and any tag) must go through containerd's API alone.
        {
          name: 'node-a',
          runtime: 'containerd',
          agentArgs: ['--containerd-importer', 'api', '--ctr', '/bin/false'],
        },
        {
          name: 'node-b',
          runtime: 'containerd',
          agentArgs: ['--containerd-importer', 'api', '--ctr', '/bin/false'],
        },
      ]);
      bundle = await writeSampleBundle(fleet.dir, { layerBytes: 256 * 1024 });
    });
    after(async () => {
      await fleet.stop();
    });

    it('verifies every retagged image on every node, complete and unpacked as ctr sees them', async () => {
      const dir = join(fleet.dir, 'run');
      const run = await upgrade(fleet, bundle.path, dir, standInEnv(join(fleet.dir, 'kube.log')), [
        '--piece-size',
        '64KiB',
      ]);
      assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
      for (const node of fleet.nodes) {
        const held = await referencesOn(node);
        for (const reference of bundle.references) {
          const target = reference.replace(/^[^/]+/, REGISTRY);
          assert.ok(held.includes(target), `${node.name} lacks ${target}; holds ${held.join(', ')}`);
          const { stdout } = await execa(
            'ctr',
            ['-a', node.containerd!.address, '-n', 'k8s.io', 'images', 'check', `name==${target}`],
            { timeout: 30_000 },
          );
          assert.match(stdout, /complete \(\d+\/\d+\)/, `${node.name} ${target}: ${stdout}`);
          assert.doesNotMatch(stdout, /incomplete|missing/, `${node.name} ${target}: ${stdout}`);
        }
      }
      const report = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as {
        outcomes: { node: string; ok: boolean; report: { bytesLoaded: number } }[];
      };
      assert.ok(report.outcomes.every((o) => o.ok && o.report.bytesLoaded > 0));
    });
  },
);
