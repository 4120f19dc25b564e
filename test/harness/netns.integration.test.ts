import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { execa } from 'execa';

import { mountsUnder } from '../helpers/dir-leftovers.js';
import { cleanupStale, createNodeNetwork, listBenchNamespaces } from '../helpers/netns.js';
import type { NetnsEndpoint, NodeNetwork } from '../helpers/netns.js';
import { benchTmpfsMounts, mountTmpfs } from '../helpers/tmpfs.js';

const RATE_MBIT = 50;
const TRANSFER_BYTES = 8 * 1024 * 1024;

// Runs inside a namespace: a TCP server on argv[1]:0 that, per connection, reads one command line:
// `echo` (echoes), `send N` (writes N bytes), `recv N` (reads N bytes, then answers `done`).
const SERVER = `
const net = require('node:net');
const server = net.createServer((socket) => {
  let head = Buffer.alloc(0);
  const onData = (chunk) => {
    head = Buffer.concat([head, chunk]);
    const eol = head.indexOf(10);
    if (eol < 0) return;
    socket.off('data', onData);
    const [command, count] = head.subarray(0, eol).toString().split(' ');
    const rest = head.subarray(eol + 1);
    if (command === 'echo') { socket.write(rest); socket.pipe(socket); return; }
    if (command === 'send') { socket.end(Buffer.alloc(Number(count), 7)); return; }
    let left = Number(count) - rest.length;
    const check = () => { if (left <= 0) socket.end('done\\n'); };
    socket.on('data', (more) => { left -= more.length; check(); });
    check();
  };
  socket.on('data', onData);
  socket.on('error', () => {});
});
server.listen(0, process.argv[1], () => console.log('ready ' + server.address().port));
`;

// Runs inside a namespace: one exchange with the server at argv[1]:argv[2], timed from connect to the
// last byte, printed as JSON.
const CLIENT = `
const net = require('node:net');
const [host, port, command, count] = process.argv.slice(1);
const started = process.hrtime.bigint();
const socket = net.connect(Number(port), host, () => {
  socket.write(command + ' ' + count + '\\n');
  if (command === 'recv') socket.write(Buffer.alloc(Number(count), 7));
  if (command === 'echo') socket.end('ping');
});
let received = 0; let text = '';
socket.on('data', (chunk) => { received += chunk.length; if (command !== 'send') text += chunk; });
socket.on('end', () => {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({ received, seconds, text }));
});
socket.on('error', (error) => { console.log(JSON.stringify({ error: error.code })); });
`;

interface Exchange {
  readonly received?: number;
  readonly seconds?: number;
  readonly text?: string;
  readonly error?: string;
}

async function startServer(end: NetnsEndpoint): Promise<{ port: number; stop(): Promise<void> }> {
  const [command = 'ip', ...prefix] = end.prefix;
  const server = execa(command, [...prefix, process.execPath, '-e', SERVER, end.ip], {
    timeout: 50_000,
    reject: false,
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.stdout.on('data', (chunk: Buffer) => {
      const match = /ready (\d+)/.exec(chunk.toString());
      if (match?.[1] !== undefined) resolve(Number(match[1]));
    });
    void server.then((result) => {
      reject(new Error(`server in ${end.netns} exited: ${result.stderr}`));
    });
  });
  return {
    port,
    async stop() {
      server.kill();
      await server;
    },
  };
}

async function exchange(from: NetnsEndpoint, to: string, port: number, command: string, count = 0) {
  const [bin = 'ip', ...prefix] = from.prefix;
  const args = [...prefix, process.execPath, '-e', CLIENT, to, String(port), command, String(count)];
  const { stdout } = await execa(bin, args, { timeout: 15_000 });
  return JSON.parse(stdout) as Exchange;
}

/** Asserts the transfer ran at the shaped rate ±25% and returns the rate, in Mbit/s, for the log. */
function assertRate(result: Exchange, what: string): string {
  assert.equal(result.error, undefined, `${what}: ${String(result.error)}`);
  const mbit = (TRANSFER_BYTES * 8) / (result.seconds ?? Infinity) / 1e6;
  const low = RATE_MBIT * 0.75;
  const high = RATE_MBIT * 1.25;
  assert.ok(mbit > low && mbit < high, `${what}: ${mbit.toFixed(1)} Mbit/s, expected ${low}..${high}`);
  return `${what}: ${mbit.toFixed(1)} Mbit/s`;
}

void describe('createNodeNetwork', () => {
  void it(
    'shapes each node to the rate both ways, reaches coordinator and peers, and leaves nothing',
    {
      timeout: 60_000,
    },
    async (t) => {
      const hostLinksBefore = (await execa('ip', ['-br', 'link'], { timeout: 5_000 })).stdout;
      const runNetnsMountedBefore = mountsUnder('/run/netns').includes('/run/netns');
      const network: NodeNetwork = await createNodeNetwork({ count: 2, rateMbit: RATE_MBIT });
      try {
        const [node0, node1] = [network.exec(0), network.exec(1)];
        assert.equal(network.coordinator.ip, '10.201.0.1');
        assert.deepEqual([node0.ip, node1.ip], ['10.201.0.2', '10.201.0.3']);
        for (const end of [network.coordinator, node0, node1]) {
          const routes = await execa('ip', ['-n', end.netns, 'route', 'show', 'default'], { timeout: 5_000 });
          assert.equal(routes.stdout.trim(), '', `${end.netns} must have no default route`);
        }
        // Nothing outside the subnet is reachable: traffic cannot leave the machine.
        const outside = await exchange(node0, '192.0.2.1', 9, 'echo');
        assert.equal(outside.error, 'ENETUNREACH');

        const coordServer = await startServer(network.coordinator);
        const peerServer = await startServer(node1);
        try {
          const toCoord = await exchange(node0, network.coordinator.ip, coordServer.port, 'echo');
          assert.equal(toCoord.text, 'ping');
          const toPeer = await exchange(node0, node1.ip, peerServer.port, 'echo');
          assert.equal(toPeer.text, 'ping');

          const before = await network.counters(network.coordinator);
          const download = await exchange(
            node0,
            network.coordinator.ip,
            coordServer.port,
            'send',
            TRANSFER_BYTES,
          );
          assert.equal(download.received, TRANSFER_BYTES);
          t.diagnostic(assertRate(download, 'coordinator → node'));
          const after = await network.counters(network.coordinator);
          assert.ok(
            after.txBytes - before.txBytes >= TRANSFER_BYTES,
            'coordinator tx counter counts the upload',
          );

          const upload = await exchange(
            node0,
            network.coordinator.ip,
            coordServer.port,
            'recv',
            TRANSFER_BYTES,
          );
          assert.equal(upload.text, 'done\n');
          t.diagnostic(assertRate(upload, 'node → coordinator'));
        } finally {
          await Promise.all([coordServer.stop(), peerServer.stop()]);
        }
      } finally {
        await network.destroy();
      }
      await network.destroy();
      const ours = (await listBenchNamespaces()).filter((name) => name.includes(`-${process.pid}-`));
      assert.deepEqual(ours, [], 'namespaces left');
      assert.equal((await execa('ip', ['-br', 'link'], { timeout: 5_000 })).stdout, hostLinksBefore);
      assert.equal(
        mountsUnder('/run/netns').includes('/run/netns'),
        runNetnsMountedBefore,
        '/run/netns mount',
      );
    },
  );
});

void describe('cleanupStale', () => {
  void it("removes a dead run's namespace, killing what runs inside, and leaves live ones alone", async () => {
    // The pid of a process that has just exited stands for a crashed run.
    const dead = (await execa(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])).stdout;
    const stale = `airlift-bench-${dead}-0`;
    const runNetnsMountedBefore = mountsUnder('/run/netns').includes('/run/netns');
    // The helper's network first: the /run/netns mount is then its doing, which it undoes at the end.
    const live = await createNodeNetwork({ count: 1, rateMbit: RATE_MBIT });
    await execa('ip', ['netns', 'add', stale], { timeout: 5_000 });
    const sleeper = execa('ip', ['netns', 'exec', stale, 'sleep', '30'], { timeout: 20_000, reject: false });
    try {
      const removed = await cleanupStale();
      assert.deepEqual(removed, [stale]);
      assert.equal((await sleeper).signal, 'SIGKILL');
      const left = await listBenchNamespaces();
      assert.ok(!left.includes(stale), `${stale} left`);
      assert.ok(left.includes(live.coordinator.netns), 'a live run keeps its namespaces');
    } finally {
      await execa('ip', ['netns', 'del', stale], { timeout: 5_000, reject: false });
      sleeper.kill('SIGKILL');
      await live.destroy();
    }
    assert.equal(mountsUnder('/run/netns').includes('/run/netns'), runNetnsMountedBefore, '/run/netns mount');
  });
});

void describe('mountTmpfs', () => {
  void it('mounts a sized tmpfs and removes it', async () => {
    const tmpfs = await mountTmpfs({ sizeMiB: 8 });
    try {
      assert.ok(benchTmpfsMounts().some((mount) => mount.path === tmpfs.path));
      writeFileSync(join(tmpfs.path, 'data'), Buffer.alloc(1024 * 1024, 1));
      assert.ok(tmpfs.usedBytes() >= 1024 * 1024);
      assert.throws(() => {
        writeFileSync(join(tmpfs.path, 'too-big'), Buffer.alloc(9 * 1024 * 1024, 1));
      }, /ENOSPC/);
    } finally {
      await tmpfs.remove();
    }
    await tmpfs.remove();
    assert.deepEqual(mountsUnder(tmpfs.path), []);
    assert.equal(existsSync(tmpfs.path), false);
  });
});
