import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { execa } from 'execa';

import { startContainerd } from '../helpers/containerd-instance.js';
import type { ContainerdInstance } from '../helpers/containerd-instance.js';
import { isAlive, mountsUnder } from '../helpers/dir-leftovers.js';
import { assertNothingLeft } from './leftover-assertions.js';
import { runSleeper } from './sleeper-container.js';
import type { RunningContainer } from './sleeper-container.js';

const ctr = (instance: ContainerdInstance, ...args: string[]) =>
  execa('ctr', ['-a', instance.address, '-n', instance.namespace, ...args], { timeout: 10_000 });

const tracesOf = (instance: ContainerdInstance) => ({
  dir: instance.dir,
  pids: [instance.pid],
  sockets: [instance.address, `${instance.address}.ttrpc`],
});

void describe('startContainerd', () => {
  void it('answers ctr in the k8s.io namespace and leaves nothing behind when stopped twice', async () => {
    const instance = await startContainerd();
    try {
      assert.equal(instance.namespace, 'k8s.io');
      assert.ok(Buffer.byteLength(instance.address) < 108, `socket path too long: ${instance.address}`);
      assert.ok(isAlive(instance.pid));
      const images = await ctr(instance, 'images', 'ls');
      assert.match(images.stdout, /^REF\s/);
      assert.match(instance.logs(), /containerd successfully booted/);
    } finally {
      await instance.stop();
    }
    await assertNothingLeft(tracesOf(instance));
    await instance.stop();
    assert.match(instance.logs(), /containerd successfully booted/, 'logs survive the removed dir');
  });

  void it('runs two instances side by side without sharing state', async () => {
    const [a, b] = await Promise.all([startContainerd(), startContainerd()]);
    try {
      assert.notEqual(a.address, b.address);
      assert.notEqual(a.pid, b.pid);
      await execa('ctr', ['-a', a.address, 'namespaces', 'create', 'only-in-a'], { timeout: 10_000 });
      const inA = await execa('ctr', ['-a', a.address, 'namespaces', 'ls', '-q'], { timeout: 10_000 });
      const inB = await execa('ctr', ['-a', b.address, 'namespaces', 'ls', '-q'], { timeout: 10_000 });
      assert.match(inA.stdout, /^only-in-a$/m);
      assert.doesNotMatch(inB.stdout, /only-in-a/);

      await a.stop();
      await assertNothingLeft(tracesOf(a));
      await ctr(b, 'images', 'ls');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    await assertNothingLeft(tracesOf(b));
  });

  void it('unmounts what is mounted under its dir and kills processes left using it', async () => {
    const instance = await startContainerd();
    const mountPoint = join(instance.state, 'leftover-mount');
    mkdirSync(mountPoint);
    // Stand-ins for what containerd leaves when a test stops it mid-container: a snapshot mount and a
    // shim-like process in its own session, not a child of containerd.
    await execa('mount', ['-t', 'tmpfs', 'tmpfs', mountPoint], { timeout: 10_000 });
    // The shell exits at once, so the sleep is orphaned like a daemonised shim.
    const launched = await execa('sh', ['-c', 'sleep 600 >/dev/null 2>&1 & echo $!'], {
      cwd: mountPoint,
      timeout: 10_000,
    });
    const strayPid = Number(launched.stdout.trim());
    assert.ok(isAlive(strayPid));
    assert.deepEqual(mountsUnder(instance.dir), [mountPoint]);

    await instance.stop();
    await assertNothingLeft({ ...tracesOf(instance), pids: [instance.pid, strayPid] });
  });

  void it('ends running containers and their shims when stopped', async () => {
    const instance = await startContainerd();
    let sleeper: RunningContainer;
    try {
      sleeper = await runSleeper(instance, 'sleeper');
    } catch (error) {
      await instance.stop();
      throw error;
    }
    await instance.stop();
    await assertNothingLeft({ ...tracesOf(instance), pids: [instance.pid, sleeper.shimPid, sleeper.pid] });
    assert.equal(existsSync(sleeper.shimSocket), false, 'shim socket removed');
  });

  void it('kills containers and shims even when containerd died first', async () => {
    const instance = await startContainerd();
    const sleeper = await runSleeper(instance, 'orphan').catch(async (error: unknown) => {
      await instance.stop();
      throw error;
    });
    process.kill(instance.pid, 'SIGKILL');
    await instance.stop();
    await assertNothingLeft({ ...tracesOf(instance), pids: [instance.pid, sleeper.shimPid, sleeper.pid] });
    assert.equal(existsSync(sleeper.shimSocket), false, 'socket of the killed shim removed');
  });

  void it('leaves alone a process of the test that still points at its socket', async () => {
    const instance = await startContainerd();
    // Like an agent under test: a child of the test process, configured with the daemon's address.
    const client = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600_000)', instance.address], {
      stdio: 'ignore',
    });
    try {
      await instance.stop();
      assert.ok(isAlive(client.pid!), 'the test decides when its own children end');
    } finally {
      client.kill('SIGKILL');
    }
  });

  void it('refuses to start, saying why, without root or without the binaries', async (t) => {
    const helper = new URL('../helpers/containerd-instance.js', import.meta.url).href;
    const script = `import { startContainerd } from ${JSON.stringify(helper)}; await startContainerd();`;
    const attempt = (options: { uid?: number; gid?: number; env?: Record<string, string> }) =>
      execa(process.execPath, ['--input-type=module', '-e', script], {
        ...options,
        reject: false,
        timeout: 30_000,
      });
    // A checkout under a 0700 directory (mktemp -d) cannot be read by uid 65534 at all: then the
    // non-root half cannot run, and says so, rather than failing on a module-not-found.
    const readable = await execa('test', ['-r', fileURLToPath(helper)], {
      uid: 65534,
      gid: 65534,
      reject: false,
    });
    if (readable.exitCode === 0) {
      const nobody = await attempt({ uid: 65534, gid: 65534 });
      assert.notEqual(nobody.exitCode, 0);
      assert.match(nobody.stderr, /startContainerd needs root .* runs as uid 65534/);
    } else {
      t.diagnostic('checkout not readable by uid 65534: the non-root check was not run');
    }
    const noPath = await attempt({ env: { PATH: '/nonexistent' } });
    assert.notEqual(noPath.exitCode, 0);
    assert.match(noPath.stderr, /containerd not found on PATH .*install-prereqs\.sh/);
  });

  void it('fails with the log tail, and cleans up, when containerd exits during start', async () => {
    const dirPrefix = `airlift-ctrd-broken${process.pid}`;
    // An invalid log level is a cheap way to make the real binary exit at once with an error.
    const logLevel = 'nonsense' as 'info';
    await assert.rejects(
      startContainerd({ logLevel, dirPrefix }),
      /containerd\[.*\] exited \(code 1, signal null\) before `ctr version` to succeed; log tail:\n.*nonsense/,
    );
    assert.deepEqual(
      readdirSync('/tmp').filter((name) => name.startsWith(dirPrefix)),
      [],
    );
  });
});
