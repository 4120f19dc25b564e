import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { REPO_ROOT } from '../helpers/paths.js';

describe('npm run demo', () => {
  it('runs every step against real runtimes and exits 0', async () => {
    const run = await execa(
      process.execPath,
      [join(REPO_ROOT, 'dist', 'test', 'demo', 'node-load-demo.js')],
      {
        reject: false,
        timeout: 300_000,
      },
    );
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /5\/5 references verified on demo-containerd-node/);
    assert.match(run.stdout, /5\/5 references verified on demo-docker-node/);
    assert.match(run.stdout, /load\s+skipped/);
    assert.match(run.stdout, /demo: every step succeeded/);
  });
});
