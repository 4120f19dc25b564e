import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command, CommanderError, Option } from 'commander';
import { configOption, installSettings } from '../../../shared/cli/config-apply.js';
import { durationOption, outputOption } from '../../../shared/cli/index.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

type Seen = { command: string; opts: Record<string, unknown>; sources: Record<string, string | undefined> };

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** A program shaped like airlift's: a group with a leaf, and two leaves sharing flag names. */
function demoProgram(seen: Seen[]): Command {
  const record = (command: Command): void => {
    const opts = command.opts();
    const sources = Object.fromEntries(Object.keys(opts).map((k) => [k, command.getOptionValueSource(k)]));
    seen.push({ command: command.name(), opts, sources });
  };
  const upgrade = new Command('upgrade')
    .requiredOption('--release <name>', 'release')
    .addOption(durationOption('--timeout <duration>', 'timeout', '30m'))
    .addOption(new Option('--output <format>', 'format').choices(['text', 'json']).default('text'))
    .option('--nats <urls>', 'nats')
    .option('--dry-run', 'dry run', false)
    .option('--nats-url <url>', 'repeatable', collect, [])
    .action((_opts, command: Command) => {
      record(command);
    });
  const status = new Command('status')
    .addOption(outputOption())
    .option('--nats <urls>', 'nats')
    .action((_opts, command: Command) => {
      record(command);
    });
  const load = new Command('load')
    .option('--no-skip-verified', 'load anyway')
    .action((_opts, command: Command) => {
      record(command);
    });
  const program = new Command('demo').addOption(configOption()).enablePositionalOptions();
  program.addCommand(upgrade).addCommand(status).addCommand(new Command('node').addCommand(load));
  return program;
}

/** Every command throws instead of exiting; its complaints are collected. */
function quiet(command: Command, errors: string[]): void {
  command.exitOverride().configureOutput({
    writeErr: (text) => errors.push(text),
    writeOut: () => undefined,
  });
  command.commands.forEach((sub) => {
    quiet(sub, errors);
  });
}

describe('config file and AIRLIFT_* environment', () => {
  let dir: TempDir;
  before(() => {
    dir = makeTempDir('airlift-config');
  });
  after(async () => {
    await dir.remove();
  });

  /** Runs `args` against a fresh program; resolves what the action saw, or the usage error. */
  async function run(
    args: readonly string[],
    { yaml, env = {} }: { yaml?: string; env?: Record<string, string> } = {},
  ): Promise<{ seen: Seen | undefined; error: string | undefined }> {
    const file = join(dir.path, `c${Math.random().toString(36).slice(2)}.yaml`);
    if (yaml !== undefined) await writeFile(file, yaml);
    const seen: Seen[] = [];
    const errors: string[] = [];
    const program = demoProgram(seen);
    installSettings(program, { env, defaultConfigFile: yaml === undefined ? join(dir.path, 'none') : file });
    quiet(program, errors);
    try {
      await program.parseAsync(['node', 'demo', ...args]);
    } catch (err) {
      if (!(err instanceof CommanderError)) throw err;
      assert.equal(err.exitCode, 2, err.message);
    }
    return { seen: seen[0], error: errors.length === 0 ? undefined : errors.join('') };
  }

  it('takes flag > env > command section > top level > default, through the option parsers', async () => {
    const yaml = 'timeout: 10m\nnats: tls://top:4222\nrelease: top\nupgrade:\n  release: section\n';
    let { seen } = await run(['upgrade'], { yaml });
    assert.deepEqual(
      [seen?.opts.timeout, seen?.opts.nats, seen?.opts.release, seen?.opts.output],
      [600_000, 'tls://top:4222', 'section', 'text'],
    );
    assert.equal(seen?.sources.release, 'config');
    ({ seen } = await run(['upgrade'], { yaml, env: { AIRLIFT_RELEASE: 'env', AIRLIFT_TIMEOUT: '90s' } }));
    assert.deepEqual([seen?.opts.release, seen?.opts.timeout], ['env', 90_000]);
    assert.equal(seen?.sources.release, 'env');
    ({ seen } = await run(['upgrade', '--release', 'flag'], { yaml, env: { AIRLIFT_RELEASE: 'env' } }));
    assert.deepEqual([seen?.opts.release, seen?.sources.release], ['flag', 'cli']);
  });

  it('keeps AIRLIFT_NATS_URL for --nats and reads switches as true or false', async () => {
    let { seen } = await run(['upgrade', '--release', 'r'], {
      env: { AIRLIFT_NATS_URL: 'nats://env:4222', AIRLIFT_DRY_RUN: 'true' },
    });
    assert.deepEqual([seen?.opts.nats, seen?.opts.dryRun], ['nats://env:4222', true]);
    ({ seen } = await run(['upgrade', '--release', 'r'], { env: { AIRLIFT_DRY_RUN: 'false' } }));
    assert.equal(seen?.opts.dryRun, false);
    ({ seen } = await run(['node', 'load'], { yaml: 'node load:\n  skip-verified: false\n' }));
    assert.equal(seen?.opts.skipVerified, false);
  });

  it('a list for a repeatable flag; the command line replaces it instead of adding to it', async () => {
    const yaml = 'upgrade:\n  release: r\n  nats-url: [tls://a:4222, tls://b:4222]\n';
    let { seen } = await run(['upgrade'], { yaml });
    assert.deepEqual(seen?.opts.natsUrl, ['tls://a:4222', 'tls://b:4222']);
    ({ seen } = await run(['upgrade', '--nats-url', 'tls://c:4222'], { yaml }));
    assert.deepEqual(seen?.opts.natsUrl, ['tls://c:4222']);
  });

  it('a top-level key applies to each command by its own parser (yaml suits status, not upgrade)', async () => {
    const yaml = 'output: yaml\n';
    assert.equal((await run(['status'], { yaml })).seen?.opts.output, 'yaml');
    const { error } = await run(['upgrade', '--release', 'r'], { yaml });
    assert.match(error ?? '', /c\w+\.yaml: output: "yaml" is invalid: Allowed choices are text, json/);
  });

  it('names the file and key path of a bad value, and suggests the key meant', async () => {
    let { error } = await run(['status'], { yaml: 'upgrade:\n  timeout: 5x\n' });
    assert.match(error ?? '', /\.yaml: upgrade\.timeout: "5x" is not a duration such as 90s/);
    ({ error } = await run(['status'], { yaml: 'timout: 5m\n' }));
    assert.match(error ?? '', /\.yaml: timout: unknown key; did you mean timeout\?/);
    ({ error } = await run(['status'], { yaml: 'node load:\n  skip-verifed: true\n' }));
    assert.match(
      error ?? '',
      /node load\.skip-verifed: node load has no flag --skip-verifed; did you mean skip-verified\?/,
    );
    ({ error } = await run(['status'], { yaml: 'upgrade:\n  dry-run: maybe\n' }));
    assert.match(error ?? '', /upgrade\.dry-run: "maybe" is not true or false/);
    ({ error } = await run(['status'], { yaml: 'status:\n  nats: [a, b]\n' }));
    assert.match(error ?? '', /status\.nats: takes one value, not a list/);
    ({ error } = await run(['status'], { yaml: '- a\n' }));
    assert.match(error ?? '', /must be a mapping/);
  });

  it('names the variable of a bad environment value', async () => {
    const { error, seen } = await run(['upgrade', '--release', 'r'], { env: { AIRLIFT_TIMEOUT: 'soon' } });
    assert.equal(seen, undefined);
    assert.match(error ?? '', /environment: AIRLIFT_TIMEOUT: "soon" is not a duration/);
  });

  it('a config file named by --config or AIRLIFT_CONFIG must exist; the default one need not', async () => {
    assert.equal((await run(['status'])).error, undefined);
    const missing = join(dir.path, 'missing.yaml');
    let { error } = await run(['--config', missing, 'status']);
    assert.match(error ?? '', /missing\.yaml: cannot read the config file/);
    ({ error } = await run(['status'], { env: { AIRLIFT_CONFIG: missing } }));
    assert.match(error ?? '', /missing\.yaml: cannot read the config file/);
  });

  it('a required flag may come from the file', async () => {
    const { seen, error } = await run(['upgrade'], { yaml: 'release: from-file\n' });
    assert.equal(error, undefined);
    assert.equal(seen?.opts.release, 'from-file');
  });
});
