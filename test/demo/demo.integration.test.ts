import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { REPO_ROOT } from '../helpers/paths.js';

const demo = (name: string): string => join(REPO_ROOT, 'dist', 'test', 'demo', `${name}.js`);

describe('the demos', { timeout: 600_000 }, () => {
  it('npm run demo: the fleet upgrade runs every step and exits 0', async () => {
    const run = await execa(process.execPath, [demo('fleet-demo')], { reject: false, timeout: 300_000 });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /This machine has no Kubernetes cluster/);
    assert.match(run.stdout, /barrier passed/);
    assert.match(
      run.stdout,
      /helm upgrade kairship \S+ -n kairship-system -f \S+bak\.yaml --set global\.imageRegistry=10\.16\.10\.111 --version 0\.21\.0/,
    );
    assert.match(run.stdout, /demo: every step succeeded/);
  });

  it('npm run demo:node: one node, both runtimes, exits 0', async () => {
    const run = await execa(process.execPath, [demo('node-load-demo')], { reject: false, timeout: 300_000 });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /5\/5 references verified on demo-containerd-node/);
    assert.match(run.stdout, /5\/5 references verified on demo-docker-node/);
    assert.match(run.stdout, /load\s+skipped/);
  });
});
