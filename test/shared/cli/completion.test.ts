import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { completionCommand } from '../../../shared/cli/completion-command.js';
import { completionScript, parseCompletionShell } from '../../../shared/cli/completion.js';
import type { CliOutput } from '../../../shared/cli/run-command.js';

/** A small tree shaped like airlift's: a program option, a group with a nested command, a hidden option. */
function demoProgram(): Command {
  const program = new Command('demo').version('1.2.3').option('--log-format <format>', 'log format');
  program.addCommand(
    new Command('bundle')
      .description('bundles')
      .addCommand(
        new Command('inspect')
          .addOption(new Option('--output <format>', 'format').choices(['text', 'json']))
          .option('--verify-layers', 'check layers'),
      ),
  );
  program.addCommand(
    new Command('status')
      .option('--nodes <names>', 'which nodes')
      .addOption(new Option('--secret-knob', 'internal').hideHelp()),
  );
  return program;
}

function hasShell(shell: string): boolean {
  try {
    execFileSync(shell, ['-c', 'true'], { timeout: 5000, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** What `_demo` offers for `words` with the cursor on the last one. */
function complete(script: string, words: readonly string[]): string[] {
  const array = words.map((word) => `'${word}'`).join(' ');
  const run = `${script}\nCOMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _demo; echo "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', run], { encoding: 'utf8', timeout: 10_000 })
    .trim()
    .split(/\s+/)
    .filter(Boolean);
}

describe('completionScript', () => {
  it('lists every command, nested command and visible option of the tree for bash', () => {
    const script = completionScript(demoProgram(), 'bash');
    assert.match(script, /^complete -o default -F _demo 'demo'$/m);
    assert.match(script, /'demo'\) echo 'bundle status help' ;;/);
    assert.match(script, /'demo bundle'\) echo 'inspect help' ;;/);
    assert.match(script, /'demo bundle inspect'\) echo '--output --verify-layers --help -h' ;;/);
    assert.match(script, /'demo'\) echo '--version -V --log-format --help -h' ;;/);
    assert.match(script, /'demo bundle inspect --output'\) echo 'text json' ;;/);
    assert.match(script, /'demo status'\) echo '--nodes --help -h' ;;/);
    assert.doesNotMatch(script, /--secret-knob/);
  });

  it('gives zsh the same script behind bashcompinit', () => {
    const zsh = completionScript(demoProgram(), 'zsh');
    assert.match(zsh, /^autoload -U \+X bashcompinit && bashcompinit$/m);
    assert.ok(zsh.endsWith(completionScript(demoProgram(), 'bash')));
  });

  it(
    'completes subcommands, nested subcommands, options and choices when bash runs it',
    { skip: !hasShell('bash') },
    () => {
      const script = completionScript(demoProgram(), 'bash');
      assert.deepEqual(complete(script, ['demo', 'bu']), ['bundle']);
      assert.deepEqual(complete(script, ['demo', 'bundle', '']), ['inspect', 'help']);
      assert.deepEqual(complete(script, ['demo', '--log-format', 'text', 'bundle', 'inspect', '--v']), [
        '--verify-layers',
      ]);
      assert.deepEqual(complete(script, ['demo', 'bundle', 'inspect', '--output', '']), ['text', 'json']);
      // A value is not a subcommand: `--nodes bundle` stays in `status`.
      assert.deepEqual(complete(script, ['demo', 'status', '--nodes', 'bundle', '--n']), ['--nodes']);
    },
  );
  // zsh calls the function inside its compgen emulation, under `emulate sh`; compinit -D writes no dump.
  it('loads in zsh and completes there', { skip: !hasShell('zsh') }, () => {
    const script = completionScript(demoProgram(), 'zsh');
    const probe = 'COMP_WORDS=(demo bundle ""); COMP_CWORD=2; _demo; echo "${COMPREPLY[@]}"';
    const input = `autoload -U compinit && compinit -D -u\n${script}\nemulate sh -c '${probe}'\necho "\${_comps[demo]}"\n`;
    const out = execFileSync('zsh', ['-f'], { input, encoding: 'utf8', timeout: 10_000 });
    // Registered with zsh's completion system, through bashcompinit's `complete`.
    assert.deepEqual(out.trim().split('\n'), ['inspect help', '_bash_complete -o default -F _demo']);
  });
});

describe('completion command', () => {
  it('refuses an unknown shell, naming bash|zsh', () => {
    assert.throws(
      () => parseCompletionShell('fish'),
      (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError);
        assert.match(err.message, /bash\|zsh/);
        return true;
      },
    );
    const command = completionCommand({ out: () => undefined, err: () => undefined })
      .exitOverride()
      .configureOutput({ writeErr: () => undefined });
    assert.throws(
      () => command.parse(['fish'], { from: 'user' }),
      (err: unknown) => {
        assert.ok(err instanceof CommanderError);
        assert.equal(err.code, 'commander.invalidArgument');
        assert.match(err.message, /bash\|zsh/);
        return true;
      },
    );
  });

  it('prints the script of the whole program it belongs to', async () => {
    const lines: string[] = [];
    const output: CliOutput = { out: (line) => lines.push(line), err: () => undefined };
    const program = demoProgram().addCommand(completionCommand(output));
    await program.parseAsync(['completion', 'bash'], { from: 'user' });
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /'demo bundle'\) echo 'inspect help' ;;/);
    assert.match(lines[0] ?? '', /'demo'\) echo 'bundle status completion help' ;;/);
  });
});
