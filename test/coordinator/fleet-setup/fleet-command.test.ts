import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { fleetCommand } from '../../../coordinator/cli/fleet-command.js';
import { ExitCode } from '../../../shared/cli/index.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

async function airlift(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  let code = -1;
  const program = new Command('airlift').exitOverride();
  program.addCommand(
    fleetCommand({ out: (line) => out.push(line), err: (line) => err.push(line) }, (c) => {
      code = c;
    }),
  );
  await program.parseAsync(args, { from: 'user' });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('airlift fleet', () => {
  let temp: TempDir;
  let dir: string;
  before(() => {
    temp = makeTempDir('airlift-fleet-cli');
    dir = `${temp.path}/fleet`;
  });
  after(() => temp.remove());

  it('init writes the fleet and says what to do next, printing no secret', async () => {
    const run = await airlift(
      'fleet',
      'init',
      '--dir',
      dir,
      '--nodes',
      'a, b.example',
      '--nats-url',
      'tls://spark:4222',
      '--nats-url',
      'tls://10.0.0.1:4222',
      '--nats-host',
      'spark.lan',
    );
    assert.equal(run.code, ExitCode.Ok, run.err);
    assert.match(run.out, new RegExp(`wrote +${dir}/nodes/b\\.example\\.json`));
    assert.match(run.out, new RegExp(`copy ${dir}/nodes/a\\.json to node a as /etc/airlift/agent\\.json`));
    assert.match(run.out, new RegExp(`nats-server -c ${dir}/nats/nats-server\\.conf`));
    assert.match(run.out, new RegExp(`--identity ${dir}/coordinator\\.json`));
    assert.doesNotMatch(run.out, /PRIVATE KEY|\bSU[A-Z2-7]{56}\b/);
  });

  it('refuses a second init, a bad name and an unknown node with a usage exit', async () => {
    const again = await airlift('fleet', 'init', '--dir', dir, '--nodes', 'c');
    assert.equal(again.code, ExitCode.Usage);
    assert.match(again.err, /CONFIG_INVALID.*--force/);
    assert.equal((await airlift('fleet', 'add-node', 'x>y', '--dir', dir)).code, ExitCode.Usage);
    assert.equal((await airlift('fleet', 'remove-node', 'zz', '--dir', dir)).code, ExitCode.Usage);
  });

  it('add-node, remove-node and show keep the roster', async () => {
    const added = await airlift('fleet', 'add-node', 'c', '--dir', dir);
    assert.equal(added.code, ExitCode.Ok, added.err);
    assert.match(added.out, /reload/);
    const removed = await airlift('fleet', 'remove-node', 'a', '--dir', dir);
    assert.equal(removed.code, ExitCode.Ok, removed.err);
    assert.match(removed.out, new RegExp(`removed ${dir}/nodes/a\\.json`));
    assert.match(removed.out, /nats-server --signal reload/);
    const shown = await airlift('fleet', 'show', '--dir', dir, '--output', 'json');
    assert.equal(shown.code, ExitCode.Ok, shown.err);
    const roster = JSON.parse(shown.out) as { nodes: Record<string, unknown>; nats: { urls: string[] } };
    assert.deepEqual(Object.keys(roster.nodes), ['b.example', 'c']);
    assert.deepEqual(roster.nats.urls, ['tls://spark:4222', 'tls://10.0.0.1:4222']);
    const text = await airlift('fleet', 'show', '--dir', dir);
    assert.match(text.out, /^nodes {7}2$/m);
    assert.doesNotMatch(text.out + shown.out, /PRIVATE KEY|\bSU[A-Z2-7]{56}\b/);
  });
});
