import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { RunState } from '../../shared/control/index.js';
import { writeSampleBundle, type SampleBundle } from '../helpers/fixtures/index.js';
import { readStandInExits, readStandInLog, standInEnv } from '../helpers/kube-stand-ins.js';
import { startLocalFleet, type LocalFleet } from '../helpers/local-fleet.js';
import { runCli, startCli, type RunningCli } from '../helpers/run-cli.js';
import { statusRows, upgrade, upgradeArgs } from './fleet-checks.js';

/** run.json as `airlift upgrade` writes it. */
interface RunFile {
  readonly state: RunState;
}

describe(
  'airlift upgrade interrupted by SIGINT/SIGTERM: every phase ends with exit 10, helm is never killed',
  { timeout: 300_000 },
  () => {
    let fleet: LocalFleet;
    let bundle: SampleBundle;
    let n = 0;
    const files = (): { runDir: string; log: string; exits: string } => {
      const id = ++n;
      return {
        runDir: join(fleet.dir, `run-${id}`),
        log: join(fleet.dir, `kube-${id}.log`),
        exits: join(fleet.dir, `exits-${id}.log`),
      };
    };

    before(async () => {
      // One node is enough: what is under test is the coordinator process. The agent receives at most
      // 256 KB/s, so a forced transfer lasts a few seconds and a signal can land in the middle of it.
      fleet = await startLocalFleet([
        { name: 'node-a', runtime: 'containerd', agentArgs: ['--max-rate', '256KB/s'] },
      ]);
      bundle = await writeSampleBundle(fleet.dir, { layerBytes: 256 * 1024 });
    });
    after(async () => {
      await fleet.stop();
    });

    /** Waits until the stand-in log shows `helm <sub>` started. */
    async function waitForCall(log: string, sub: string, run: RunningCli): Promise<void> {
      const deadline = Date.now() + 120_000;
      while (!(await readStandInLog(log)).some((c) => c.tool === 'helm' && c.argv[0] === sub)) {
        if (Date.now() > deadline)
          throw new Error(`helm ${sub} never ran:\n${run.stdout()}\n${run.stderr()}`);
        await sleep(50);
      }
    }

    function runFile(runDir: string): RunState {
      return (JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunFile).state;
    }

    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      it(`${signal} while helm upgrade runs: helm finishes, run.json records the step, the resume hint is printed, exit 10`, async () => {
        const { runDir, log, exits } = files();
        const env = standInEnv(log, {
          AIRLIFT_STANDIN_SLEEP_helm_upgrade: '3',
          AIRLIFT_STANDIN_EXIT_LOG: exits,
        });
        const run = startCli(upgradeArgs(fleet, bundle.path, runDir), env);
        await waitForCall(log, 'upgrade', run);
        // SIGINT as a terminal's Ctrl-C sends it, to the whole foreground group; SIGTERM as kill does.
        if (signal === 'SIGINT') run.signalGroup(signal);
        else run.signal(signal);
        await run.waitForOutput(/stopping after the running command/, 10_000);
        if (signal === 'SIGINT') run.signalGroup(signal);
        else run.signal(signal);
        const ended = await run.exited(60_000);
        assert.equal(ended.exitCode, 10, `${ended.stdout}\n${ended.stderr}`);
        assert.match(ended.stderr, /still waiting for .*helm upgrade kairship.* to finish/);
        const upgradeExit = (await readStandInExits(exits)).find((e) => e.argv[0] === 'upgrade');
        assert.equal(upgradeExit?.status, 0, 'helm upgrade ran to its end, unkilled');
        const state = runFile(runDir);
        assert.equal(state.phase, 'failed');
        assert.equal(state.failure?.phase, 'helm-upgrade');
        assert.match(state.failure.message, new RegExp(`interrupted by ${signal}`));
        assert.ok(ended.stderr.includes(`airlift resume ${state.runId}`), ended.stderr);
      });
    }

    it('a signal in preflight: exit 10, nothing changed, no run directory', async () => {
      const { runDir, log } = files();
      const run = startCli(
        upgradeArgs(fleet, bundle.path, runDir),
        standInEnv(log, { AIRLIFT_STANDIN_HANG: 'helm-version' }),
      );
      const deadline = Date.now() + 60_000;
      while (!(await readStandInLog(log)).some((c) => c.argv[0] === 'version')) {
        assert.ok(Date.now() < deadline, `helm version never ran:\n${run.stderr()}`);
        await sleep(50);
      }
      run.signalGroup('SIGINT');
      const ended = await run.exited(30_000);
      assert.equal(ended.exitCode, 10, ended.stderr);
      assert.match(ended.stderr, /interrupted by SIGINT during preflight; nothing was changed/);
      assert.equal(existsSync(runDir), false);
      const calls = await readStandInLog(log);
      assert.ok(!calls.some((c) => c.argv[0] === 'upgrade' || c.argv[0] === 'apply'));
    });

    it('a signal during distribute: run.json records it, the resume hint is printed, exit 10, the cluster untouched', async () => {
      const { runDir, log } = files();
      // A bundle the node has not seen: its spool already holds the first one's archive, which would
      // make even a forced load too quick to interrupt.
      await mkdir(join(fleet.dir, 'other'), { recursive: true });
      const other = await writeSampleBundle(join(fleet.dir, 'other'), { layerBytes: 300 * 1024 });
      const run = startCli(upgradeArgs(fleet, other.path, runDir), standInEnv(log));
      await run.waitForOutput(/node-a: loading/, 60_000);
      await sleep(300);
      run.signal('SIGTERM');
      const ended = await run.exited(60_000);
      assert.equal(ended.exitCode, 10, `${ended.stdout}\n${ended.stderr}`);
      const state = runFile(runDir);
      assert.equal(state.phase, 'failed');
      assert.equal(state.failure?.phase, 'distribute');
      assert.match(state.failure.message, /interrupted by SIGTERM during distribute/);
      assert.ok(ended.stderr.includes(`airlift resume ${state.runId}`), ended.stderr);
      const calls = await readStandInLog(log);
      assert.ok(!calls.some((c) => c.argv[0] === 'upgrade' || c.argv[0] === 'apply'));
      // The agent's job runs on without its source until it gives up; the next test needs it idle.
      // Only a heartbeat sent after the run ended says so: an older one may predate the job.
      const endedAt = Date.now();
      const idleSince = (row: { state: string; sentAt?: string } | undefined): boolean =>
        row?.state === 'ready' && Date.parse(row.sentAt ?? '') > endedAt;
      const deadline = Date.now() + 60_000;
      while (!idleSince((await statusRows(fleet)).find((r) => r.node === 'node-a'))) {
        assert.ok(Date.now() < deadline, 'node-a never went back to ready');
        await sleep(250);
      }
    });

    it('airlift resume refuses a finished run (exit 2) unless --force', async () => {
      const { runDir, log } = files();
      const done = await upgrade(fleet, bundle.path, runDir, standInEnv(log));
      assert.equal(done.exitCode, 0, `${done.stdout}\n${done.stderr}`);
      const runId = /^(?:\S+ )?run (r\S+):/m.exec(done.stdout)?.[1];
      assert.ok(runId !== undefined, done.stdout);
      const resumeArgs = [
        'resume',
        runId,
        ...fleet.coordinatorArgs,
        '--listen',
        '127.0.0.1:0',
        '--timeout',
        '120s',
      ];
      const refused = await runCli(resumeArgs, standInEnv(log));
      assert.equal(refused.exitCode, 2, refused.stderr);
      assert.match(refused.stderr, new RegExp(`run ${runId} finished .*--force`));
      const calls = (await readStandInLog(log)).filter((c) => c.argv[0] === 'upgrade').length;
      const forced = await runCli([...resumeArgs, '--force'], standInEnv(log));
      assert.equal(forced.exitCode, 0, `${forced.stdout}\n${forced.stderr}`);
      assert.equal((await readStandInLog(log)).filter((c) => c.argv[0] === 'upgrade').length, calls + 1);
    });
  },
);
