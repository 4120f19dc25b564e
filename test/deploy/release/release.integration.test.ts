import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { RELEASE_UNITS } from '../../../deploy/release/index.js';
import { AIRLIFT_VERSION } from '../../../shared/version.js';
import { startContainerd } from '../../helpers/containerd-instance.js';
import { spawnDaemon, waitUntilReady } from '../../helpers/daemon-process.js';
import { writeSampleBundle } from '../../helpers/fixtures/sample-bundle.js';
import { makeTestFleet } from '../../helpers/test-fleet.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { buildAndExtract, runWithout, type ExtractedRelease } from './installed-release.js';

/** Every file under `dir` with its mode, relative, sorted: what an install left behind. */
async function tree(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const rows = await Promise.all(
    entries.map(async (entry) => {
      const path = join(entry.parentPath, entry.name);
      const mode = ((await stat(path)).mode & 0o777).toString(8);
      return `${mode} ${path.slice(dir.length)}`;
    }),
  );
  return rows.sort();
}

describe(
  'npm run release: the offline tarball, install.sh and the installed executable',
  { timeout: 600_000 },
  () => {
    let tmp: TempDir | undefined;
    let dir: string;
    let rel: ExtractedRelease;
    let prefix: string;
    let elsewhere: string;
    const installed = (): string => join(prefix, 'usr/local/bin/airlift');
    const installSh = (args: readonly string[]): ReturnType<typeof runWithout> =>
      runWithout(rel.path, join(rel.dir, 'install.sh'), args, elsewhere);

    before(async () => {
      tmp = makeTempDir('airlift-release');
      dir = tmp.path;
      rel = await buildAndExtract(dir, true);
      prefix = join(dir, 'root');
      elsewhere = join(dir, 'elsewhere');
      await mkdir(elsewhere);
    });
    after(async () => {
      await tmp?.remove();
    });

    it('names the tarball by version and architecture, with one top dir holding what an operator needs', async () => {
      const { target } = rel.release;
      assert.equal(target.version, AIRLIFT_VERSION);
      assert.match(
        rel.release.tarball,
        new RegExp(`/airlift-${AIRLIFT_VERSION}-linux-(amd64|arm64)\\.tar\\.gz$`),
      );
      const { stdout } = await execa('tar', ['-tzf', rel.release.tarball]);
      const tops = new Set(stdout.split('\n').map((entry) => entry.split('/')[0]));
      assert.deepEqual([...tops], [`airlift-${AIRLIFT_VERSION}`]);
      const files = (await tree(rel.dir)).filter(
        (row) => !/^\d+ \/(bin|systemd|examples|kubernetes)$/.test(row),
      );
      assert.deepEqual(
        files,
        [
          '644 /README.md',
          '644 /SHA256SUMS',
          '644 /examples/airlift.yaml',
          '644 /examples/nats-server.conf',
          '644 /kubernetes/airlift-agent.yaml',
          ...RELEASE_UNITS.map((unit) => `644 /systemd/${unit}`).sort(),
          '755 /bin/airlift',
          '755 /install.sh',
        ].sort(),
      );
      const sums = await runWithout(rel.path, 'sha256sum', ['-c', '--strict', 'SHA256SUMS'], rel.dir);
      assert.equal(sums.exitCode, 0, sums.stdout + sums.stderr);
      assert.equal(sums.stdout.split('\n').length, 9, sums.stdout);
      assert.ok(rel.release.executableBytes > 20 * 1024 * 1024, `${rel.release.executableBytes} bytes`);
    });

    it('writes the agent image archive beside the tarball, and the DaemonSet that runs it into the tarball', async () => {
      const image = rel.release.agentImage;
      assert.ok(image !== undefined);
      assert.equal(image.image, join(dir, 'out', rel.release.target.image));
      assert.equal(image.bundle, join(dir, 'out', rel.release.target.agentBundle));
      const bundle = await execa('tar', ['-tf', image.bundle], { timeout: 60_000 });
      assert.ok(bundle.stdout.split('\n').includes('images.tar'), bundle.stdout);
      const { stdout } = await execa('tar', ['-tf', image.image], { timeout: 60_000 });
      assert.ok(stdout.split('\n').includes('manifest.json'), stdout);
      const manifest = await readFile(join(rel.dir, 'kubernetes/airlift-agent.yaml'), 'utf8');
      assert.match(manifest, /kind: DaemonSet/);
      assert.ok(manifest.includes(image.reference), `${image.reference} not in the manifest`);
    });

    it('install --dry-run prints every action and writes nothing', async () => {
      const run = await installSh(['install', '--prefix', prefix, '--dry-run']);
      assert.equal(run.exitCode, 0, run.stderr);
      assert.match(run.stdout, /would run: mv -f \S+\/\.airlift\.new \S+\/usr\/local\/bin\/airlift/);
      assert.match(run.stdout, /would run: chmod 0700 \S+\/etc\/airlift/);
      assert.match(run.stdout, /then run: systemctl daemon-reload/);
      assert.equal(existsSync(prefix), false, 'the prefix was created');
    });

    it('install --prefix puts the executable, the agent unit and a 0700 config dir in place, twice over the same', async () => {
      const first = await installSh(['install', '--prefix', prefix]);
      assert.equal(first.exitCode, 0, first.stderr);
      assert.doesNotMatch(first.stdout, /^\+ systemctl/m, 'systemctl called under a prefix');
      const once = await tree(prefix);
      assert.ok(once.includes('755 /usr/local/bin/airlift'), once.join('\n'));
      assert.ok(once.includes('644 /etc/systemd/system/airlift-agent.service'), once.join('\n'));
      assert.ok(once.includes('700 /etc/airlift'), once.join('\n'));
      assert.ok(!once.some((row) => row.includes('airlift-nats')), 'agent role installs no nats unit');
      const again = await installSh(['install', '--prefix', prefix]);
      assert.equal(again.exitCode, 0, again.stderr);
      assert.deepEqual(await tree(prefix), once);
    });

    it('the installed airlift runs without node on PATH, from any directory: --version, agent --help', async () => {
      const node = await runWithout(rel.path, 'sh', ['-c', 'command -v node'], elsewhere);
      assert.notEqual(node.exitCode, 0, `node is on the test PATH: ${node.stdout}`);
      const version = await runWithout(rel.path, installed(), ['--version'], elsewhere);
      assert.equal(version.exitCode, 0, version.stderr);
      assert.match(
        version.stdout,
        new RegExp(
          `^${AIRLIFT_VERSION.replaceAll('.', '\\.')} \\(commit ([0-9a-f]{12}(-dirty)?|unknown)\\)$`,
        ),
      );
      const help = await runWithout(rel.path, installed(), ['agent', '--help'], elsewhere);
      assert.equal(help.exitCode, 0, help.stderr);
      assert.match(help.stdout, /--identity <file>/);
      assert.equal(help.stderr, '', 'no experimental-feature warning');
    });

    it('the installed airlift inspects a bundle, with the example config file', async () => {
      const bundle = await writeSampleBundle(dir);
      // Every key of a config file is checked whichever command runs: the example must pass.
      const config = join(rel.dir, 'examples/airlift.yaml');
      const checked = await runWithout(
        rel.path,
        installed(),
        ['--config', config, 'bundle', 'inspect', bundle.path],
        elsewhere,
      );
      assert.equal(checked.exitCode, 0, checked.stderr);
      const run = await runWithout(
        rel.path,
        installed(),
        ['bundle', 'inspect', bundle.path, '--output', 'json'],
        elsewhere,
      );
      assert.equal(run.exitCode, 0, run.stderr);
      const text = run.stdout;
      for (const reference of bundle.references)
        assert.ok(text.includes(reference), `${reference} in ${text}`);
    });

    it('the units pass systemd-analyze verify (or name the keys that matter)', async () => {
      const units = join(dir, 'units');
      await mkdir(units);
      for (const unit of RELEASE_UNITS) {
        const text = await readFile(join(rel.dir, 'systemd', unit), 'utf8');
        assert.match(text, /^NoNewPrivileges=yes$/m, unit);
        assert.match(text, /^PrivateTmp=yes$/m, unit);
        assert.match(text, /^ProtectSystem=strict$/m, unit);
        assert.match(text, /^ExecStart=(\/usr\/local\/bin\/airlift|nats-server) /m, unit);
        // verify checks that ExecStart's file exists: point it at the installed one.
        await writeFile(join(units, unit), text.replaceAll('/usr/local/bin/airlift', installed()));
      }
      const agent = await readFile(join(rel.dir, 'systemd/airlift-agent.service'), 'utf8');
      assert.match(agent, /^ProtectSystem=strict$/m);
      assert.match(agent, /^ProtectHome=yes$/m);
      assert.match(agent, /^StateDirectory=airlift$/m, 'the spool under /var/lib/airlift stays writable');
      const nats = await readFile(join(rel.dir, 'systemd/airlift-nats.service'), 'utf8');
      assert.match(nats, /-c \/etc\/airlift\/fleet\/nats\/nats-server\.conf$/m);
      const analyze = await execa('systemd-analyze', ['--version'], { reject: false });
      if (analyze.exitCode !== 0) return;
      const verify = await execa(
        'systemd-analyze',
        ['verify', '--man=no', ...RELEASE_UNITS.map((u) => join(units, u))],
        {
          reject: false,
          timeout: 60_000,
        },
      );
      assert.equal(verify.exitCode, 0, verify.stdout + verify.stderr);
    });

    it('upgrade replaces the executable and keeps the configuration', async () => {
      const identity = join(prefix, 'etc/airlift/agent.json');
      await writeFile(identity, '{"kept":true}\n', { mode: 0o600 });
      await writeFile(installed(), '#!/bin/sh\necho old\n');
      const run = await installSh(['upgrade', '--prefix', prefix]);
      assert.equal(run.exitCode, 0, run.stderr);
      assert.match(run.stdout, /then run: systemctl try-restart airlift-agent\.service/);
      const cmp = await execa('cmp', [installed(), join(rel.dir, 'bin/airlift')], { reject: false });
      assert.equal(cmp.exitCode, 0, 'the executable was not replaced');
      assert.equal(await readFile(identity, 'utf8'), '{"kept":true}\n');
      const nothing = await installSh(['upgrade', '--prefix', join(dir, 'empty')]);
      assert.notEqual(nothing.exitCode, 0);
      assert.match(nothing.stderr, /not installed .*install\.sh install/);
    });

    it('--role coordinator installs the nats and serve units', async () => {
      const other = join(dir, 'coordinator-root');
      const run = await installSh(['install', '--prefix', other, '--role', 'coordinator']);
      assert.equal(run.exitCode, 0, run.stderr);
      const files = await tree(other);
      assert.ok(files.includes('644 /etc/systemd/system/airlift-nats.service'), files.join('\n'));
      assert.ok(files.includes('644 /etc/systemd/system/airlift-serve.service'), files.join('\n'));
      assert.ok(!files.some((row) => row.includes('airlift-agent.service')));
      const bad = await installSh(['install', '--prefix', other, '--role', 'spark']);
      assert.equal(bad.exitCode, 1);
      assert.match(bad.stderr, /unknown --role 'spark'/);
    });

    it('the installed agent, with its fleet identity, announces itself to a real nats-server', async () => {
      const fleet = await makeTestFleet(join(dir, 'fleet'), ['node-a']);
      const nats = await fleet.startNats();
      const containerd = await startContainerd({ dirPrefix: 'airlift-rel' });
      try {
        await fleet.pointAt(nats.url);
        // As the operator does: the node's file from fleet init becomes /etc/airlift/agent.json.
        const identity = join(prefix, 'etc/airlift/agent.json');
        await copyFile(fleet.nodeFiles['node-a'] ?? '', identity);
        const status = (nodes: string[]): ReturnType<typeof runWithout> =>
          runWithout(
            rel.path,
            installed(),
            ['status', '--identity', fleet.coordinatorFile, ...nodes],
            elsewhere,
          );
        // The coordinator creates the registry the agents write to.
        assert.equal((await status([])).exitCode, 11);
        const agent = spawnDaemon({
          name: 'installed airlift agent',
          command: '/usr/bin/env',
          args: [
            '-i',
            `--chdir=${elsewhere}`,
            `PATH=${rel.path}`,
            installed(),
            'agent',
            '--identity',
            identity,
            '--grpc-listen',
            '127.0.0.1:0',
            '--metrics-listen',
            'off',
            '--heartbeat',
            '1s',
            '--spool-dir',
            join(dir, 'spool'),
            '--runtime',
            'containerd',
            '--containerd-address',
            containerd.address,
          ],
          logFile: join(dir, 'agent.log'),
        });
        try {
          await waitUntilReady(agent, {
            check: async () => (await status(['--nodes', 'node-a'])).exitCode === 0,
            timeoutMs: 60_000,
            intervalMs: 500,
            waitingFor: 'airlift status to show node-a healthy',
          });
          assert.match((await status([])).stdout, /node-a\s+healthy/);
          await checkServe(fleet.coordinatorFile);
        } finally {
          await agent.stop(15_000);
        }
        assert.equal((await agent.exited).code, 0, agent.logTail());
      } finally {
        await containerd.stop();
        await nats.stop();
      }
    });

    /** The installed `airlift serve` starts with the coordinator identity and answers /healthz. */
    async function checkServe(identity: string): Promise<void> {
      const serve = spawnDaemon({
        name: 'installed airlift serve',
        command: '/usr/bin/env',
        args: [
          '-i',
          `--chdir=${elsewhere}`,
          `PATH=${rel.path}`,
          installed(),
          'serve',
          '--listen',
          '127.0.0.1:0',
          '--identity',
          identity,
        ],
        logFile: join(dir, 'serve.log'),
      });
      try {
        let address = '';
        await waitUntilReady(serve, {
          check: async () => {
            address = /dashboard on http:\/\/(\S+)\//.exec(serve.logs())?.[1] ?? '';
            if (address === '') return false;
            return (await fetch(`http://${address}/healthz`).catch(() => undefined))?.status === 200;
          },
          timeoutMs: 30_000,
          intervalMs: 250,
          waitingFor: 'airlift serve to answer /healthz with 200',
        });
      } finally {
        await serve.stop(10_000);
      }
      assert.equal((await serve.exited).code, 0, serve.logTail());
    }

    it('uninstall removes what install put; --purge also the configuration; both again are no-ops', async () => {
      const dry = await installSh(['uninstall', '--prefix', prefix, '--purge', '--dry-run']);
      assert.equal(dry.exitCode, 0, dry.stderr);
      assert.ok(existsSync(installed()), '--dry-run removed the executable');
      const run = await installSh(['uninstall', '--prefix', prefix]);
      assert.equal(run.exitCode, 0, run.stderr);
      assert.equal(existsSync(installed()), false);
      assert.equal(existsSync(join(prefix, 'etc/systemd/system/airlift-agent.service')), false);
      assert.ok(
        existsSync(join(prefix, 'etc/airlift/agent.json')),
        'uninstall without --purge kept the identity',
      );
      assert.match(run.stdout, /kept \S+\/etc\/airlift/);
      const purge = await installSh(['uninstall', '--prefix', prefix, '--purge']);
      assert.equal(purge.exitCode, 0, purge.stderr);
      assert.equal(existsSync(join(prefix, 'etc/airlift')), false);
      const again = await installSh(['uninstall', '--prefix', prefix, '--purge']);
      assert.equal(again.exitCode, 0, again.stderr);
    });
  },
);
