import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeSampleBundle, type SampleBundle } from '../../helpers/fixtures/index.js';
import { runCli } from '../../helpers/run-cli.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

describe('airlift upgrade / status / resume: refusals before anything runs', { timeout: 120_000 }, () => {
  let tmp: TempDir;
  let bundle: SampleBundle;
  before(async () => {
    tmp = makeTempDir('airlift-upgrade-cli');
    bundle = await writeSampleBundle(tmp.path);
  });
  after(async () => {
    await tmp.remove();
  });

  it('exits 7 naming the NATS server when the control plane is unreachable (and never prints credentials)', async () => {
    const run = await runCli(
      [
        'upgrade',
        bundle.path,
        '--release',
        'kairship',
        '--namespace',
        'kairship-system',
        '--nats',
        'nats://127.0.0.1:9',
        '--nats-user',
        'ops',
      ],
      { AIRLIFT_NATS_PASSWORD: 's3cret-pass' },
    );
    assert.equal(run.exitCode, 7, run.stderr);
    assert.match(run.stderr, /BUS_UNAVAILABLE.*127\.0\.0\.1:9/);
    assert.doesNotMatch(run.stderr + run.stdout, /s3cret-pass/);
  });

  it('airlift status exits 7 the same way', async () => {
    const run = await runCli(['status', '--nats', 'nats://127.0.0.1:9']);
    assert.equal(run.exitCode, 7, run.stderr);
    assert.match(run.stderr, /127\.0\.0\.1:9/);
  });

  it('exits 2 naming the flag for a bad --timeout or an empty --nodes', async () => {
    const base = [
      'upgrade',
      bundle.path,
      '--release',
      'r',
      '--namespace',
      'n',
      '--nats',
      'nats://127.0.0.1:9',
    ];
    const timeout = await runCli([...base, '--timeout', 'soon']);
    assert.equal(timeout.exitCode, 2);
    assert.match(timeout.stderr, /--timeout: "soon" is not a duration/);
    const nodes = await runCli([...base, '--nodes', ',']);
    assert.equal(nodes.exitCode, 2);
    assert.match(nodes.stderr, /--nodes: lists no node/);
  });

  it('exits 2 when a required option is missing', async () => {
    const run = await runCli(['upgrade', bundle.path, '--namespace', 'n']);
    assert.equal(run.exitCode, 2);
    assert.match(run.stderr, /--release/);
  });

  it('resume refuses a malformed run id before connecting', async () => {
    const run = await runCli(['resume', '../etc', '--nats', 'nats://127.0.0.1:9']);
    assert.notEqual(run.exitCode, 0);
  });
});
