import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startContainerd, type ContainerdInstance } from '../../helpers/containerd-instance.js';
import { startCli } from '../../helpers/run-cli.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

/** The agent's default /metrics address, as `airlift agent --help` documents it. */
const DEFAULT_METRICS = { host: '127.0.0.1', port: 7484 };

/** Holds the default metrics port for the test; resolves undefined when someone else holds it already. */
async function holdDefaultPort(): Promise<Server | undefined> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(undefined);
      else reject(err);
    });
    server.listen(DEFAULT_METRICS.port, DEFAULT_METRICS.host, () => {
      resolve(server);
    });
  });
}

describe('airlift agent with its default metrics port taken', { timeout: 90_000 }, () => {
  let containerd: ContainerdInstance;
  let tmp: TempDir;
  let holder: Server | undefined;

  before(async () => {
    tmp = makeTempDir('airlift-metrics-taken');
    containerd = await startContainerd({ dirPrefix: 'airlift-metrics-taken' });
    // Taken either way: by this test, or by whatever already listens there.
    holder = await holdDefaultPort();
  });
  after(async () => {
    const held = holder;
    if (held !== undefined) await new Promise((resolve) => held.close(resolve));
    await containerd.stop();
    await tmp.remove();
  });

  it('warns, saying which flag serves the endpoint elsewhere or turns it off, and keeps running', async () => {
    const run = startCli([
      'agent',
      '--insecure',
      '--node',
      'metrics-taken',
      '--grpc-listen',
      '127.0.0.1:0',
      '--spool-dir',
      join(tmp.path, 'spool'),
      '--runtime',
      'containerd',
      '--containerd-address',
      containerd.address,
      // Nothing answers here: the agent waits for NATS, which is enough to have started its endpoint.
      '--nats',
      'nats://127.0.0.1:9',
    ]);
    try {
      await run.waitForOutput(/running without \/healthz and \/metrics/, 30_000);
      await run.waitForOutput(/waiting for NATS/, 30_000);
    } finally {
      run.signal('SIGTERM');
    }
    const ended = await run.exited(15_000);
    assert.equal(ended.exitCode, 0, ended.stderr);
    const warning = ended.stderr.split('\n').find((line) => line.includes('running without /healthz'));
    assert.ok(warning !== undefined, ended.stderr);
    const record = JSON.parse(warning) as { level: number; msg: string; address: string };
    assert.equal(record.level, 40, 'a warning');
    assert.equal(record.address, '127.0.0.1:7484');
    assert.match(record.msg, /cannot listen on 127\.0\.0\.1:7484/);
    assert.match(record.msg, /--metrics-listen <free host:port>/);
    assert.match(record.msg, /--metrics-listen off/);
  });
});
