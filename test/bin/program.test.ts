import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../bin/build-program.js';
import { ExitCode } from '../../shared/cli/exit-codes.js';
import { configDocs } from '../../shared/cli/config-docs.js';
import { commandPath, leafCommands } from '../../shared/cli/option-keys.js';
import { silentLogger } from '../../shared/logging/index.js';
import { REPO_ROOT } from '../helpers/paths.js';

/** The program exactly as bin/airlift.ts builds it. */
function program(): Command {
  return buildProgram({
    output: { out: () => undefined, err: () => undefined },
    logger: silentLogger(),
    setExit: () => undefined,
  });
}

/** The whole --help text of `command`, including what addHelpText adds after it. */
function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (chunk) => (text += chunk), writeErr: (chunk) => (text += chunk) });
  command.outputHelp();
  return text;
}

describe('the airlift program', () => {
  it('every command that runs something shows examples in its --help', () => {
    const leaves = leafCommands(program());
    assert.ok(leaves.length >= 10, `only ${leaves.length} commands`);
    for (const leaf of leaves) {
      const help = helpOf(leaf);
      assert.ok(
        help.includes('\nExamples:\n  $ airlift '),
        `airlift ${commandPath(leaf)} --help has no Examples block:\n${help}`,
      );
      for (const example of help.split('\nExamples:\n')[1]?.split('\n') ?? []) {
        if (example.startsWith('  $ ')) assert.match(example, /^ {2}\$ airlift \S/, example);
      }
    }
  });

  it('marks required options "(required)" in help, and no other', () => {
    let required = 0;
    for (const leaf of leafCommands(program())) {
      const help = helpOf(leaf);
      for (const option of leaf.options) {
        const line = help.split('\n').find((l) => l.trimStart().startsWith(option.flags)) ?? '';
        const block = help.slice(help.indexOf(line), help.indexOf('\n  -', help.indexOf(line) + 1));
        assert.equal(
          block.includes('(required)'),
          option.mandatory,
          `airlift ${commandPath(leaf)} ${option.flags}: ${block}`,
        );
        if (option.mandatory) required++;
      }
    }
    assert.ok(required >= 3, 'upgrade --release/--namespace and fleet init --nodes are required');
  });

  it("README's exit code table lists exactly the codes of ExitCode", async () => {
    const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Exit codes'));
    const table = section.slice(0, section.indexOf('\n\n', section.indexOf('|')));
    const codes = [...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    assert.ok(codes.length > 0, 'README.md has an "Exit codes" table');
    assert.deepEqual(
      codes,
      [...new Set(Object.values(ExitCode))].sort((a, b) => a - b),
    );
  });

  it('docs/configuration.md is what `npm run docs:config` writes today', async () => {
    const committed = await readFile(join(REPO_ROOT, 'docs', 'configuration.md'), 'utf8');
    assert.ok(
      committed === configDocs(program()),
      'docs/configuration.md is stale: run `npm run build && npm run docs:config`',
    );
  });
});
