import assert from 'node:assert/strict';
import { chmod, copyFile, readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { writeSampleBundle, type SampleBundle } from '../../helpers/fixtures/index.js';
import { runCli } from '../../helpers/run-cli.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { makeTestFleet } from '../../helpers/test-fleet.js';

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
        '--insecure',
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
    assert.match(run.stderr, /WARNING: --insecure: jobs and reports are not signed/);
  });

  it('-o json: even a run that never started ends stdout with one run-finished event, and nothing else', async () => {
    const run = await runCli([
      'upgrade',
      bundle.path,
      '--release',
      'kairship',
      '-o',
      'json',
      '--namespace',
      'kairship-system',
      '--insecure',
      '--nats',
      'nats://127.0.0.1:9',
    ]);
    assert.equal(run.exitCode, 7, run.stderr);
    const lines = run.stdout.split('\n').filter((line) => line !== '');
    assert.equal(lines.length, 1, run.stdout);
    const event = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    assert.equal(event.type, 'run-finished');
    assert.equal(event.runId, null);
    assert.equal(event.exitCode, 7);
    assert.deepEqual(event.results, []);
    assert.match(String(event.error), /127\.0\.0\.1:9/);
    assert.match(run.stderr, /BUS_UNAVAILABLE/);
  });

  it('airlift status exits 7 the same way', async () => {
    const run = await runCli(['status', '--insecure', '--nats', 'nats://127.0.0.1:9']);
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
      '--insecure',
      '--nats',
      'nats://127.0.0.1:9',
    ];
    const timeout = await runCli([...base, '--timeout', 'soon']);
    assert.equal(timeout.exitCode, 2);
    assert.match(
      timeout.stderr,
      /'--timeout <duration>' argument 'soon' is invalid\. "soon" is not a duration/,
    );
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

  it('refuses to run without an identity unless --insecure is given, naming the file it looked for', async () => {
    for (const command of [
      ['status'],
      ['upgrade', bundle.path, '--release', 'r', '--namespace', 'n'],
      ['agent'],
    ]) {
      const run = await runCli([
        ...command,
        '--identity',
        `${tmp.path}/nowhere.json`,
        '--nats',
        'nats://127.0.0.1:9',
      ]);
      assert.equal(run.exitCode, 2, `${command[0] ?? ''}: ${run.stderr}`);
      assert.match(run.stderr, /IDENTITY_INVALID.*nowhere\.json.*airlift fleet init, or run with --insecure/);
    }
    const both = await runCli(['status', '--insecure', '--identity', `${tmp.path}/x.json`]);
    assert.equal(both.exitCode, 2);
    assert.match(both.stderr, /give --identity or --insecure, not both/);
  });

  it('refuses an identity file others can read, one of the wrong role, and a malformed one, never printing a key', async () => {
    const fleet = await makeTestFleet(`${tmp.path}/fleet`, ['node-a']);
    const nodeFile = fleet.nodeFiles['node-a'] ?? '';
    const wrongRole = await runCli(['status', '--identity', nodeFile, '--nats', 'nats://127.0.0.1:9']);
    assert.equal(wrongRole.exitCode, 2);
    assert.match(wrongRole.stderr, /is an agent identity; this command needs a coordinator identity/);
    const readable = `${tmp.path}/readable.json`;
    await copyFile(fleet.coordinatorFile, readable);
    await chmod(readable, 0o644);
    const open = await runCli(['status', '--identity', readable, '--nats', 'nats://127.0.0.1:9']);
    assert.equal(open.exitCode, 2);
    assert.match(open.stderr, /readable by group or others \(mode 644\); chmod 600 it/);
    const broken = `${tmp.path}/broken.json`;
    const text = await readFile(fleet.coordinatorFile, 'utf8');
    await writeFile(
      broken,
      text.replace(
        /"signingKey": "[^"]*"/,
        '"signingKey": "-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n"',
      ),
      { mode: 0o600 },
    );
    const bad = await runCli(['status', '--identity', broken, '--nats', 'nats://127.0.0.1:9']);
    assert.equal(bad.exitCode, 2);
    assert.match(bad.stderr, /field signingKey/);
    for (const run of [wrongRole, open, bad])
      assert.doesNotMatch(run.stdout + run.stderr, /BEGIN PRIVATE KEY|"SU[A-Z2-7]{20}/);
  });
});
