import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { writeSampleBundle } from '../helpers/fixtures/index.js';
import { AIRLIFT_BIN } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

/** Runs the built CLI with its stdout's reader gone before it writes, as `airlift … | head -1` ends. */
function runWithClosedStdout(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [AIRLIFT_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    child.once('close', (code) => {
      resolve({ code, stderr });
    });
  });
}

describe('airlift CLI output', () => {
  let dir: TempDir;
  let bundlePath: string;

  before(async () => {
    dir = makeTempDir('airlift-output');
    bundlePath = (await writeSampleBundle(dir.path)).path;
  });
  after(async () => {
    await dir.remove();
  });

  it('bundle inspect into a closed pipe exits quietly: no EPIPE, no stack trace', async () => {
    const run = await runWithClosedStdout(['bundle', 'inspect', bundlePath]);
    assert.doesNotMatch(run.stderr, /EPIPE|\n\s+at /);
    assert.equal(run.code, 0);
  });

  it('a usage error prints the problem and one pointer to the help, then exits 2', async () => {
    const run = await runCli(['bundle', 'inspect', '--bogus', bundlePath]);
    assert.equal(run.exitCode, 2);
    assert.deepEqual(run.stderr.trim().split('\n'), [
      "error: unknown option '--bogus'",
      "see 'airlift bundle inspect --help'",
    ]);
  });

  it('an unknown log format is a usage error, from the flag or the environment', async () => {
    const flag = await runCli(['--log-format', 'xml', 'bundle', 'inspect', bundlePath]);
    assert.equal(flag.exitCode, 2);
    assert.match(flag.stderr, /--log-format must be json or text/);
    const env = await runCli(['bundle', 'inspect', bundlePath], { AIRLIFT_LOG_FORMAT: 'xml' });
    assert.equal(env.exitCode, 2);
    assert.match(env.stderr, /AIRLIFT_LOG_FORMAT must be json or text/);
  });
});
