import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startContainerd, type ContainerdInstance } from '../../helpers/containerd-instance.js';
import { startNats, type NatsInstance } from '../../helpers/nats-instance.js';
import { startCli } from '../../helpers/run-cli.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

const PASSWORD = 'right-pass-4711';
const WRONG = 'wrong-pass-0815';

describe(
  'airlift agent: SIGTERM/SIGINT end it in every state; refused credentials end it at once',
  { timeout: 120_000 },
  () => {
    let containerd: ContainerdInstance;
    let nats: NatsInstance;
    let tmp: TempDir;
    let n = 0;
    before(async () => {
      tmp = makeTempDir('airlift-agent-signals');
      containerd = await startContainerd({ dirPrefix: 'airlift-agent-sig' });
      nats = await startNats({ user: 'airlift', password: PASSWORD });
    });
    after(async () => {
      await nats.stop();
      await containerd.stop();
      await tmp.remove();
    });

    /** `airlift agent` on the test containerd, unsigned (what is under test is the process, not trust). */
    function agent(natsArgs: readonly string[]): string[] {
      return [
        'agent',
        '--insecure',
        '--node',
        `sig-${++n}`,
        '--grpc-listen',
        '127.0.0.1:0',
        '--heartbeat',
        '1s',
        '--spool-dir',
        join(tmp.path, `spool-${n}`),
        '--runtime',
        'containerd',
        '--containerd-address',
        containerd.address,
        ...natsArgs,
      ];
    }

    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`${signal} while it waits for an unreachable NATS: exits 0 within a few seconds`, async () => {
        const run = startCli(agent(['--nats', 'nats://127.0.0.1:9']), { AIRLIFT_LOG_LEVEL: 'info' });
        await run.waitForOutput(/waiting for NATS/, 30_000);
        const sent = Date.now();
        run.signal(signal);
        const ended = await run.exited(10_000);
        assert.equal(ended.exitCode, 0, ended.stderr);
        assert.ok(Date.now() - sent < 6_000, `took ${Date.now() - sent} ms`);
        assert.match(ended.stderr, new RegExp(`${signal}: draining`));
      });
    }

    it('wrong NATS credentials: says NATS refused them, names no secret, exits 7 at once (no silent retrying)', async () => {
      const run = startCli(agent(['--nats', nats.url, '--nats-user', 'airlift']), {
        AIRLIFT_NATS_PASSWORD: WRONG,
      });
      const ended = await run.exited(20_000);
      assert.equal(ended.exitCode, 7, ended.stderr);
      assert.match(ended.stderr, /BUS_AUTH_FAILED.*refused the credentials/);
      assert.ok(!(ended.stdout + ended.stderr).includes(WRONG));
      assert.ok(!(ended.stdout + ended.stderr).includes(PASSWORD));
    });

    it('idle with the right credentials: SIGTERM says goodbye and exits 0; a second signal does not kill it', async () => {
      const run = startCli(agent(['--nats', nats.url, '--nats-user', 'airlift']), {
        AIRLIFT_NATS_PASSWORD: PASSWORD,
      });
      await run.waitForOutput(/running \(containerd\)/, 30_000);
      run.signal('SIGTERM');
      await run.waitForOutput(/SIGTERM: draining/, 5_000);
      run.signal('SIGINT');
      let ended;
      try {
        ended = await run.exited(15_000);
      } catch (err) {
        // A second signal that lands in the last moments of the process's own exit, after the goodbye,
        // meets no JavaScript any more: ended by it, having stopped cleanly first, is a clean stop too.
        assert.match((err as Error).message, /"msg":"agent stopped"/, (err as Error).message);
        return;
      }
      assert.equal(ended.exitCode, 0, ended.stderr);
      // Unless it had already exited, the second signal only got an answer.
      assert.match(ended.stderr, /SIGINT: already stopping|agent stopped/);
    });
  },
);
