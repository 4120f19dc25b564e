import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { FleetRegistry } from '../../../coordinator/fleet/index.js';
import { connectBus, type Bus } from '../../../shared/bus/index.js';
import { resolveTrust, type CliOutput } from '../../../shared/cli/index.js';
import { Buckets, type Heartbeat } from '../../../shared/control/index.js';
import { seal } from '../../../shared/trust/index.js';
import type { NatsInstance } from '../../helpers/nats-instance.js';
import { runCli, startCli } from '../../helpers/run-cli.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { makeTestFleet, type TestFleet } from '../../helpers/test-fleet.js';
import { heartbeat } from '../../shared/control/control-fixtures.js';

const SILENT: CliOutput = { out: () => undefined, err: () => undefined };
const logger = pino({ level: 'silent' });

/** Stores `hb` in the fleet bucket as its own node would: over its identity's connection, signed. */
async function announce(fleet: TestFleet, url: string, hb: Heartbeat): Promise<void> {
  const setup = await resolveTrust(
    { identity: fleet.nodeFiles[hb.node] ?? '', nats: url },
    'agent',
    't',
    SILENT,
    {},
  );
  const bus = await connectBus({ ...setup.nats, name: `test-${hb.node}` }, logger);
  try {
    await (
      await bus.kv(Buckets.fleet, { bind: true })
    ).put(hb.node, seal('heartbeat', hb, setup.trust.sealer));
  } finally {
    await bus.drain();
  }
}

describe('airlift status / node forget on a real fleet', { timeout: 120_000 }, () => {
  let tmp: TempDir;
  let fleet: TestFleet;
  let nats: NatsInstance;
  let coordinator: Bus;
  const id = (): string[] => ['--identity', fleet.coordinatorFile];

  before(async () => {
    tmp = makeTempDir('airlift-status-cli');
    fleet = await makeTestFleet(tmp.path, ['node-a', 'node-b']);
    nats = await fleet.startNats();
    await fleet.pointAt(nats.url);
    const setup = await resolveTrust({ identity: fleet.coordinatorFile }, 'coordinator', 't', SILENT, {});
    coordinator = await connectBus({ ...setup.nats, name: 'test-coordinator' }, logger);
    // Agents may only bind the bucket: the coordinator creates it, as `airlift status` would.
    await FleetRegistry.open(coordinator, setup.trust.policy);
  });
  after(async () => {
    await coordinator.drain();
    await nats.stop();
    await tmp.remove();
  });

  it('exits 11 when no agent announced itself', async () => {
    const run = await runCli(['status', ...id()]);
    assert.equal(run.exitCode, 11, run.stderr);
    assert.match(run.stdout, /no agent has announced itself yet/);
  });

  it('exits 11 with a down agent, shows its state as unknown, and 0 for --nodes of healthy ones only', async () => {
    await announce(fleet, nats.url, heartbeat({ node: 'node-a', state: 'busy', intervalMs: 60_000 }));
    const old = new Date(Date.now() - 3_600_000).toISOString();
    await announce(fleet, nats.url, heartbeat({ node: 'node-b', state: 'ready', sentAt: old }));
    const all = await runCli(['status', ...id()]);
    assert.equal(all.exitCode, 11, all.stderr);
    assert.match(all.stdout, /node-a\s+healthy\s+\S+ ago\s+busy/);
    assert.match(all.stdout, /node-b\s+down\s+60m ago\s+unknown/);
    const json = await runCli(['status', ...id(), '--output', 'json']);
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    assert.deepEqual(
      rows.map((r) => [r.node, r.health, r.state, r.heartbeatState]),
      [
        ['node-a', 'healthy', 'busy', undefined],
        ['node-b', 'down', 'unknown', 'ready'],
      ],
    );
    assert.equal((await runCli(['status', ...id(), '--nodes', 'node-a'])).exitCode, 0);
    const unknown = await runCli(['status', ...id(), '--nodes', 'node-a,node-z']);
    assert.equal(unknown.exitCode, 11);
    assert.match(unknown.stderr, /no heartbeat in the fleet registry from node-z/);
  });

  it('--watch prints one JSON line per interval and exits 0 on SIGTERM', async () => {
    const cli = startCli(['status', ...id(), '--output', 'json', '--watch', '200ms']);
    await cli.waitForOutput(/\]\n[\s\S]*\]\n/, 20_000);
    cli.signal('SIGTERM');
    const run = await cli.exited(10_000);
    assert.equal(run.exitCode, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.ok(lines.length >= 2, run.stdout);
    for (const line of lines) assert.equal((JSON.parse(line) as unknown[]).length, 2);
  });

  it('--watch in text mode off a terminal prints a timestamped table per interval and exits 0 on SIGINT', async () => {
    const cli = startCli(['status', ...id(), '--watch', '0.2']);
    await cli.waitForOutput(/^--- \d{4}-[\s\S]*^--- \d{4}-/m, 20_000);
    cli.signal('SIGINT');
    const run = await cli.exited(10_000);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.equal(run.stdout.includes('\u001b['), false, 'no screen clearing off a terminal');
    assert.match(run.stdout, /^--- \S+Z\nNODE\s+HEALTH/m);
  });

  it('node forget refuses a healthy node without --force, forgets a down one, then finds nothing', async () => {
    const healthy = await runCli(['node', 'forget', 'node-a', ...id()]);
    assert.equal(healthy.exitCode, 2, healthy.stderr);
    assert.match(healthy.stderr, /node node-a is healthy.*--force/);
    const down = await runCli(['node', 'forget', 'node-b', ...id()]);
    assert.equal(down.exitCode, 0, down.stderr);
    assert.match(down.stdout, /forgot node node-b \(it was down\)/);
    assert.equal((await runCli(['status', ...id()])).exitCode, 0);
    const again = await runCli(['node', 'forget', 'node-b', ...id()]);
    assert.equal(again.exitCode, 2);
    assert.match(again.stderr, /no entry for node-b/);
    const forced = await runCli(['node', 'forget', 'node-a', '--force', ...id()]);
    assert.equal(forced.exitCode, 0, forced.stderr);
  });
});
