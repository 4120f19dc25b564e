import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { FleetRegistry } from '../../coordinator/fleet/index.js';
import type { RunState } from '../../shared/control/index.js';
import type { NodeLoadReport } from '../../shared/node-job/index.js';
import { writeSampleBundle, type SampleBundle } from '../helpers/fixtures/index.js';
import { readStandInLog, standInEnv } from '../helpers/kube-stand-ins.js';
import { startLocalFleet, type LocalFleet } from '../helpers/local-fleet.js';
import { runCli, startCli, type CliRun, type RunningCli } from '../helpers/run-cli.js';
import { referencesOn, upgradeArgs } from './fleet-checks.js';

/** The registry the helm stand-in's values name: every reference is retagged to it. */
const REGISTRY = '10.16.10.111';
/** What every upgrade here passes as --timeout (upgradeArgs); each fault must end far sooner. */
const TIMEOUT_MS = 120_000;
/** "Far sooner": a run that only ended at --timeout would take twice this. */
const WELL_BEFORE_TIMEOUT_MS = 60_000;
const NODES = ['node-a', 'node-b', 'node-c'] as const;

interface RunFile {
  readonly state: RunState;
  readonly outcomes: readonly { node: string; ok: boolean; problem?: string; report?: NodeLoadReport }[];
}

/**
 * Faults during a real upgrade (nats-server, three agent processes, three containerd): an agent that
 * restarts, a relaying agent that dies, the control plane restarting, the coordinator dying, a runtime
 * that is stopped. Each ends cleanly and far before --timeout, with the CLI's defaults.
 */
describe('faults during airlift upgrade end cleanly, long before --timeout', { timeout: 900_000 }, () => {
  let fleet: LocalFleet;
  let registry: FleetRegistry;
  let n = 0;

  before(async () => {
    // Received at 1 MB/s (node-c at 512 KB/s, so it finishes last), a ~5 MiB archive takes 5–10 s: long
    // enough to hit mid-transfer. The chain is node-a → node-b → node-c (--nodes order).
    fleet = await startLocalFleet([
      { name: 'node-a', runtime: 'containerd', agentArgs: ['--max-rate', '1MB/s'] },
      { name: 'node-b', runtime: 'containerd', agentArgs: ['--max-rate', '1MB/s'] },
      { name: 'node-c', runtime: 'containerd', agentArgs: ['--max-rate', '512KB/s'] },
    ]);
    registry = await FleetRegistry.open(fleet.bus, fleet.policy);
  });
  after(async () => {
    await fleet.stop();
  });

  /** A bundle of its own per test (its own version, so its own references and archive): nothing skips. */
  async function freshCase(): Promise<{ bundle: SampleBundle; runDir: string; log: string }> {
    const id = ++n;
    const dir = join(fleet.dir, `case-${id}`);
    mkdirSync(dir);
    const bundle = await writeSampleBundle(dir, { version: `0.22.${id}`, layerBytes: 1024 * 1024 });
    return { bundle, runDir: join(dir, 'run'), log: join(dir, 'kube.log') };
  }

  function start(bundle: SampleBundle, runDir: string, log: string): { run: RunningCli; startedAt: number } {
    const startedAt = Date.now();
    const run = startCli(
      upgradeArgs(fleet, bundle.path, runDir, ['--nodes', NODES.join(','), '--piece-size', '256KiB']),
      standInEnv(log),
    );
    return { run, startedAt };
  }

  async function runIdOf(run: RunningCli): Promise<string> {
    await run.waitForOutput(/^(?:\S+ )?run r\S+:/m, 60_000);
    const id = /^(?:\S+ )?run (r\S+):/m.exec(run.stdout())?.[1];
    assert.ok(id !== undefined, run.stdout());
    return id;
  }

  async function runState(runId: string): Promise<RunState | undefined> {
    try {
      const kv = await fleet.bus.kv('airlift-runs');
      const entry = await kv.get(runId);
      return entry === undefined
        ? undefined
        : (JSON.parse(Buffer.from(entry.value).toString('utf8')) as RunState);
    } catch {
      return undefined; // the test's own connection may be reconnecting
    }
  }

  /** Waits until `node` of the run has received at least `bytes` (as the runs bucket records it). */
  async function waitForBytes(run: RunningCli, runId: string, node: string, bytes: number): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const state = await runState(runId);
      const done = state?.nodes[node]?.bytesDone ?? 0;
      if (done >= bytes) return;
      assert.ok(
        Date.now() < deadline,
        `${node} never reached ${bytes} bytes (at ${done}):\n${run.stdout()}\n${run.stderr()}`,
      );
      await sleep(100);
    }
  }

  /** Every agent healthy and idle: the next test starts from a quiet fleet. */
  async function settle(): Promise<void> {
    for (const node of NODES) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const row = await registry.get(node).catch(() => undefined);
        if (row?.health === 'healthy' && row.heartbeat.state === 'ready') break;
        assert.ok(Date.now() < deadline, `${node} not healthy and idle: ${JSON.stringify(row?.heartbeat)}`);
        await sleep(200);
      }
    }
  }

  async function assertHoldsEverything(bundle: SampleBundle, nodes: readonly string[]): Promise<void> {
    for (const name of nodes) {
      const held = await referencesOn(fleet.node(name));
      for (const reference of bundle.references) {
        const target = reference.replace(/^[^/]+/, REGISTRY);
        assert.ok(held.includes(target), `${name} lacks ${target}; holds ${held.join(', ')}`);
      }
    }
  }

  function runFile(runDir: string): RunFile {
    return JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunFile;
  }

  function output(run: CliRun): string {
    return `--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
  }

  async function mutatingCalls(log: string): Promise<string[][]> {
    return (await readStandInLog(log))
      .map((c) => [c.tool, ...c.argv])
      .filter((argv) => argv.includes('upgrade') || argv.includes('apply'));
  }

  it('fault 1: an agent SIGKILLed mid-transfer and started again gets its job again and resumes from its spool (exit 0)', async (t) => {
    await settle();
    const { bundle, runDir, log } = await freshCase();
    const { run, startedAt } = start(bundle, runDir, log);
    try {
      const runId = await runIdOf(run);
      await waitForBytes(run, runId, 'node-c', 1024 * 1024);
      await fleet.killAgent('node-c');
      await fleet.startAgent('node-c');
      const ended = await run.exited(TIMEOUT_MS + 30_000);
      const elapsed = Date.now() - startedAt;
      assert.equal(ended.exitCode, 0, output(ended));
      assert.ok(elapsed < WELL_BEFORE_TIMEOUT_MS, `took ${elapsed} ms`);
      assert.match(ended.stderr, /node-c: agent restarted mid-job; job sent again \(attempt 2\)/);
      const file = runFile(runDir);
      assert.equal(file.state.phase, 'done');
      const c = file.outcomes.find((o) => o.node === 'node-c');
      assert.ok(c?.ok === true, JSON.stringify(c));
      const transfer = c.report?.transfer;
      assert.ok(
        transfer !== undefined && transfer.resumedPieces > 0,
        `pieces kept: ${JSON.stringify(transfer)}`,
      );
      await assertHoldsEverything(bundle, NODES);
      assert.equal((await mutatingCalls(log)).filter((argv) => argv[1] === 'upgrade').length, 1);
      t.diagnostic(`fault 1: exit 0 after ${elapsed} ms; node-c resumed ${transfer.resumedPieces} pieces`);
    } finally {
      await run.exited(TIMEOUT_MS + 30_000).catch(() => undefined);
    }
  });

  it('fault 2: the relaying agent SIGKILLed (not restarted): the next node switches source and verifies; the run fails naming only the dead node (exit 8)', async (t) => {
    await settle();
    const { bundle, runDir, log } = await freshCase();
    const { run, startedAt } = start(bundle, runDir, log);
    try {
      const runId = await runIdOf(run);
      await waitForBytes(run, runId, 'node-c', 1024 * 1024);
      // The transfer report counts bytes per source address.
      const addressOf = async (node: string): Promise<string> =>
        (await registry.get(node))?.heartbeat.grpcAddress ?? assert.fail(`no address for ${node}`);
      const relay = await addressOf('node-b');
      await fleet.killAgent('node-b');
      const killedAt = Date.now();
      const ended = await run.exited(TIMEOUT_MS + 30_000);
      const elapsed = Date.now() - startedAt;
      assert.equal(ended.exitCode, 8, output(ended));
      assert.ok(elapsed < WELL_BEFORE_TIMEOUT_MS, `took ${elapsed} ms`);
      // Down after 10 missed 1 s beats, judged every second.
      const afterKill = Date.now() - killedAt;
      assert.ok(afterKill < 25_000, `failed ${afterKill} ms after the kill`);
      assert.match(ended.stdout, /FAIL node-b: .*its agent went silent \d+ s ago during the run/);
      assert.match(ended.stdout, /ok {3}node-a: 5\/5 references verified/);
      assert.match(ended.stdout, /ok {3}node-c: 5\/5 references verified/);
      assert.match(ended.stderr, /barrier: 1 of 3 node\(s\) did not verify every image: node-b$/m);
      assert.deepEqual(await mutatingCalls(log), [], 'no helm or kubectl command changed anything');
      const c = runFile(runDir).outcomes.find((o) => o.node === 'node-c');
      const from = c?.report?.transfer?.bytesFromSource ?? {};
      assert.ok(
        (from[relay] ?? 0) > 0,
        `node-c fetched from node-b (${relay}) first: ${JSON.stringify(from)}`,
      );
      const others = Object.entries(from).filter(([address]) => address !== relay);
      assert.ok(
        others.reduce((sum, [, bytes]) => sum + bytes, 0) > 0,
        `then from another source: ${JSON.stringify(from)}`,
      );
      await assertHoldsEverything(bundle, ['node-a', 'node-c']);
      t.diagnostic(
        `fault 2: exit 8 after ${elapsed} ms (${afterKill} ms after the kill); node-c from ${JSON.stringify(from)}`,
      );
    } finally {
      await run.exited(TIMEOUT_MS + 30_000).catch(() => undefined);
      await fleet.startAgent('node-b');
    }
  });

  it('fault 3: nats-server restarts mid-transfer (1 s down): the run still completes (exit 0)', async (t) => {
    await settle();
    const { bundle, runDir, log } = await freshCase();
    const { run, startedAt } = start(bundle, runDir, log);
    try {
      const runId = await runIdOf(run);
      await waitForBytes(run, runId, 'node-c', 1024 * 1024);
      await fleet.nats.restart({ downtimeMs: 1000 });
      const ended = await run.exited(TIMEOUT_MS + 30_000);
      const elapsed = Date.now() - startedAt;
      assert.equal(ended.exitCode, 0, output(ended));
      assert.ok(elapsed < WELL_BEFORE_TIMEOUT_MS, `took ${elapsed} ms`);
      await assertHoldsEverything(bundle, NODES);
      t.diagnostic(`fault 3: exit 0 after ${elapsed} ms`);
    } finally {
      await run.exited(TIMEOUT_MS + 30_000).catch(() => undefined);
    }
  });

  it('fault 3b: nats-server down (4 s) while the last node finishes: its lost report does not hold the run until --timeout (exit 0)', async (t) => {
    await settle();
    const { bundle, runDir, log } = await freshCase();
    const { run, startedAt } = start(bundle, runDir, log);
    try {
      const runId = await runIdOf(run);
      const total = (await runState(runId))?.nodes['node-c']?.bytesTotal ?? assert.fail('no run state');
      // node-a and node-b have reported by now; node-c's last second of transfer, its import and its
      // report all fall inside the outage, and core NATS drops what is published meanwhile.
      await waitForBytes(run, runId, 'node-c', Math.floor(total * 0.8));
      const outageAt = Date.now();
      await fleet.nats.restart({ downtimeMs: 4000 });
      const outageMs = Date.now() - outageAt;
      const ended = await run.exited(TIMEOUT_MS + 30_000);
      const elapsed = Date.now() - startedAt;
      const agentLog = fleet.node('node-c').agent.logTail();
      assert.equal(ended.exitCode, 0, `${output(ended)}\n--- node-c agent\n${agentLog}`);
      assert.ok(elapsed < WELL_BEFORE_TIMEOUT_MS, `took ${elapsed} ms`);
      // The report went out inside the outage and was lost; the idle heartbeat after it (KV outlives the
      // outage) shows the job ended, so the coordinator sent the job again and the node skipped.
      assert.match(
        ended.stderr,
        /node-c: agent finished the job but its report never arrived; job sent again \(attempt 2\)/,
      );
      const c = runFile(runDir).outcomes.find((o) => o.node === 'node-c');
      assert.equal(c?.report?.bytesLoaded, 0, `the second attempt skipped: ${JSON.stringify(c?.report)}`);
      await assertHoldsEverything(bundle, NODES);
      t.diagnostic(`fault 3b: exit 0 after ${elapsed} ms (outage ${outageMs} ms)\n${ended.stderr}`);
    } finally {
      await run.exited(TIMEOUT_MS + 30_000).catch(() => undefined);
    }
  });

  it('fault 4: the coordinator SIGKILLed mid-transfer; airlift resume <run id> completes (exit 0), verified nodes skip', async (t) => {
    await settle();
    const { bundle, runDir, log } = await freshCase();
    const { run } = start(bundle, runDir, log);
    const runId = await runIdOf(run);
    try {
      // node-a and node-b verified, node-c (half their rate) still receiving.
      const deadline = Date.now() + 60_000;
      for (;;) {
        const state = await runState(runId);
        if (state?.nodes['node-a']?.status === 'verified' && state.nodes['node-b']?.status === 'verified')
          break;
        assert.ok(
          Date.now() < deadline,
          `node-a and node-b never verified:\n${run.stdout()}\n${run.stderr()}`,
        );
        await sleep(100);
      }
      run.signal('SIGKILL');
      await run.exited(10_000).catch(() => undefined);
      const before = await runState(runId);
      assert.notEqual(before?.nodes['node-c']?.status, 'verified', 'killed before node-c verified');
      const resume = (): Promise<CliRun> =>
        runCli(
          [
            'resume',
            runId,
            ...fleet.coordinatorArgs,
            '--listen',
            '127.0.0.1:0',
            '--timeout',
            '120s',
            '--piece-size',
            '256KiB',
          ],
          standInEnv(log),
        );
      // At once: the run lock of the dead coordinator's run is this run's own, taken over at once. But
      // node-c's agent still runs the dead run's job (its source, node-b, holds the whole archive), so
      // preflight refuses it as busy; the operator waits for it (its pieces land in the spool).
      const first = await resume();
      assert.doesNotMatch(first.stderr, /RUN_LOCKED/, output(first));
      if (first.exitCode !== 0) {
        assert.equal(first.exitCode, 7, output(first));
        assert.match(first.stderr, new RegExp(`agent node-c: agent is busy with job ${runId}-n2`));
        assert.doesNotMatch(first.stderr, /agent node-(a|b)/);
      }
      t.diagnostic(`fault 4: first resume at once: exit ${first.exitCode}\n${first.stderr}`);
      await settle();
      const startedAt = Date.now();
      const resumed = first.exitCode === 0 ? first : await resume();
      const elapsed = Date.now() - startedAt;
      assert.equal(resumed.exitCode, 0, output(resumed));
      assert.ok(elapsed < WELL_BEFORE_TIMEOUT_MS, `resume took ${elapsed} ms`);
      assert.match(resumed.stdout, new RegExp(`resuming run ${runId}`));
      const file = runFile(runDir);
      const loaded = Object.fromEntries(file.outcomes.map((o) => [o.node, o.report?.bytesLoaded]));
      assert.equal(loaded['node-a'], 0, `node-a skipped: ${JSON.stringify(loaded)}`);
      assert.equal(loaded['node-b'], 0, `node-b skipped: ${JSON.stringify(loaded)}`);
      // node-c: its orphaned job finished the load (then it skips too), or the resumed job continued
      // from the pieces that job left in the spool.
      const c = file.outcomes.find((o) => o.node === 'node-c');
      assert.ok(c?.ok === true, JSON.stringify(c));
      assert.ok(
        c.report?.bytesLoaded === 0 || (c.report?.transfer?.resumedPieces ?? 0) > 0,
        `node-c skipped or kept its pieces: ${JSON.stringify(c.report)}`,
      );
      assert.equal(file.state.phase, 'done');
      await assertHoldsEverything(bundle, NODES);
      assert.equal((await mutatingCalls(log)).filter((argv) => argv[1] === 'upgrade').length, 1);
      t.diagnostic(
        `fault 4: resume exit 0 after ${elapsed} ms; bytes loaded ${JSON.stringify(loaded)}, node-c resumed ${c.report?.transfer?.resumedPieces ?? '-'} pieces`,
      );
    } finally {
      run.signal('SIGKILL');
      await run.exited(10_000).catch(() => undefined);
    }
  });

  it('fault 5: a node whose containerd is stopped: preflight fails naming it (exit 7), no job is sent, helm is never called', async (t) => {
    await settle();
    const { bundle, runDir, log } = await freshCase();
    await fleet.node('node-b').containerd!.stop();
    // The heartbeat probes the runtime at most every 10 s: wait until the registry shows it failing.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const row = await registry.get('node-b').catch(() => undefined);
      if (row?.heartbeat.runtime.ok === false) break;
      assert.ok(Date.now() < deadline, `node-b's heartbeat never showed its runtime down`);
      await sleep(200);
    }
    const startedAt = Date.now();
    const ran = await runCli(
      upgradeArgs(fleet, bundle.path, runDir, ['--nodes', NODES.join(',')]),
      standInEnv(log),
    );
    const elapsed = Date.now() - startedAt;
    assert.equal(ran.exitCode, 7, output(ran));
    assert.match(ran.stderr, /preflight failed; nothing was changed/);
    assert.match(ran.stderr, /runtime node-b: containerd does not answer: /);
    assert.doesNotMatch(ran.stderr, /runtime node-(a|c)/);
    assert.doesNotMatch(ran.stdout, /^(?:\S+ )?run r/m, 'no run started');
    assert.deepEqual(await mutatingCalls(log), []);
    t.diagnostic(`fault 5: exit 7 after ${elapsed} ms`);
  });
});
