import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/run-cli.js';

function hasBash(): boolean {
  try {
    execFileSync('bash', ['-c', 'true'], { timeout: 5000, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('airlift --version and completion', () => {
  it('--version prints the version and the commit the bundle was built from', async () => {
    const run = await runCli(['--version']);
    assert.equal(run.exitCode, 0);
    assert.match(run.stdout, /^\d+\.\d+\.\d+ \(commit (?:[0-9a-f]{7,12}(?:-dirty)?|unknown)\)$/);
  });

  it('completion bash prints a script completing the real command tree', async () => {
    const run = await runCli(['completion', 'bash']);
    assert.equal(run.exitCode, 0);
    assert.match(run.stdout, /^complete -o default -F _airlift 'airlift'$/m);
    assert.match(run.stdout, /'airlift bundle'\) echo 'inspect help' ;;/);
    assert.match(run.stdout, /'airlift node'\) echo 'load forget help' ;;/);
    assert.match(run.stdout, /'airlift node load'\) echo '[^']*--image-registry /);
  });

  it('completion with an unknown shell is a usage error naming bash|zsh', async () => {
    const run = await runCli(['completion', 'fish']);
    assert.equal(run.exitCode, 2);
    assert.match(run.stderr, /bash\|zsh/);
  });

  it('the sourced bash script completes `airlift bun` to bundle', { skip: !hasBash() }, async () => {
    const { stdout: script } = await runCli(['completion', 'bash']);
    const probe = (words: string, cword: number): string =>
      execFileSync(
        'bash',
        ['-c', `${script}\nCOMP_WORDS=(${words}); COMP_CWORD=${cword}; _airlift; echo "\${COMPREPLY[@]}"`],
        { encoding: 'utf8', timeout: 10_000 },
      ).trim();
    assert.equal(probe('airlift bun', 1), 'bundle');
    assert.equal(probe("airlift node ''", 2), 'load forget help');
    assert.match(probe('airlift node load --runt', 3), /^--runtime$/);
  });
});
