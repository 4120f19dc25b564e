import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { agentBundleFileName, buildAgentImage } from '../../../deploy/image/index.js';
import { agentManifests } from '../../../deploy/kubernetes/index.js';
import { startContainerd, type ContainerdInstance } from '../../helpers/containerd-instance.js';
import { startNats, type NatsInstance } from '../../helpers/nats-instance.js';
import { runCli } from '../../helpers/run-cli.js';
import { seaExecutable } from '../../helpers/sea-executable.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { daemonSetSchema } from './daemonset-schema.js';

const VERSION = '0.1.0-pod';
const TARGET = `10.16.10.111/airlift/agent:${VERSION}`;
const ID = 'airlift-agent-pod';
// What ctr gives a container unless told otherwise: all dropped, as the manifest's `drop: [ALL]`.
const DEFAULT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The DaemonSet container's arguments as the pod would run them, on this test's loopback: downward-API
 * variables filled in, ports made free ones, and `--insecure` for the identity (no fleet here).
 */
function podArgs(args: readonly string[], nats: string, ports: Record<string, number>): string[] {
  const out = args
    .map((arg) => arg.replace('$(NODE_NAME)', 'node-1').replace('$(NODE_IP)', '127.0.0.1'))
    .map((arg) => arg.replace(/^(--grpc-listen=)0\.0\.0\.0:7481$/, `$1127.0.0.1:${ports.grpc}`))
    .map((arg) => arg.replace(/:7481$/, `:${ports.grpc}`))
    .map((arg) => arg.replace(/^(--metrics-listen=127\.0\.0\.1):7484$/, `$1:${ports.metrics}`))
    .filter((arg) => !arg.startsWith('--identity='));
  return ['/usr/local/bin/airlift', 'agent', ...out, '--insecure', `--nats=${nats}`, '--heartbeat=1s'];
}

async function taskPid(ctrd: ContainerdInstance): Promise<{ pid: number; status: string } | undefined> {
  const { stdout } = await execa('ctr', ['-a', ctrd.address, '-n', ctrd.namespace, 'tasks', 'ls'], {
    timeout: 10_000,
  });
  const row = stdout.split('\n').find((line) => line.startsWith(`${ID} `));
  if (row === undefined) return undefined;
  const [, pid, status] = row.trim().split(/\s+/);
  return { pid: Number(pid), status: status ?? '' };
}

describe('the DaemonSet container, run by containerd from the node-loaded image (release executable)', () => {
  let tmp: TempDir;
  let ctrd: ContainerdInstance;
  let nats: NatsInstance;

  before(async () => {
    tmp = makeTempDir('airlift-agent-pod');
    [ctrd, nats] = await Promise.all([startContainerd({ dirPrefix: 'airlift-pod' }), startNats()]);
    const built = await buildAgentImage({
      executable: await seaExecutable(),
      version: VERSION,
      outFile: join(tmp.path, 'agent.image.tar'),
      bundleFile: join(tmp.path, agentBundleFileName(VERSION)),
    });
    const load = await runCli([
      'node',
      'load',
      built.bundleFile!,
      '--image-registry=10.16.10.111',
      '--runtime=containerd',
      `--containerd-address=${ctrd.address}`,
      `--containerd-namespace=${ctrd.namespace}`,
    ]);
    assert.equal(load.exitCode, 0, load.stderr + load.stdout);
  });
  after(async () => {
    await (ctrd as ContainerdInstance | undefined)?.stop();
    await (nats as NatsInstance | undefined)?.stop();
    await (tmp as TempDir | undefined)?.remove();
  });

  it('starts read-only, without capabilities, reaches containerd through the mounted dir, turns healthy and drains on SIGTERM', async (t) => {
    const daemonSet = daemonSetSchema.parse(agentManifests({ image: TARGET, version: VERSION })[1]);
    const container = daemonSet.spec.template.spec.containers[0]!;
    const ports = { grpc: await freePort(), metrics: await freePort() };
    const spool = join(tmp.path, 'spool');
    await mkdir(spool);
    const log = join(tmp.path, 'agent.log');
    const run = await execa(
      'ctr',
      [
        ...['-a', ctrd.address, '-n', ctrd.namespace, 'run', '--detach', '--net-host', '--read-only'],
        ...['--runc-root', ctrd.runcRoot, '--log-uri', `file://${log}`],
        ...DEFAULT_CAPS.flatMap((cap) => ['--cap-drop', cap]),
        // The pod's mounts: the runtime's socket dir (read-only), the spool, a scratch /tmp.
        ...['--mount', `type=bind,src=${ctrd.dir},dst=/run/containerd,options=rbind:ro`],
        ...['--mount', `type=bind,src=${spool},dst=/var/lib/airlift,options=rbind:rw`],
        ...['--mount', 'type=tmpfs,src=tmpfs,dst=/tmp,options=nosuid:nodev:size=65536k'],
        TARGET,
        ID,
        ...podArgs(container.args, nats.url, ports),
      ],
      { timeout: 60_000, reject: false },
    );
    assert.equal(run.exitCode, 0, run.stderr);
    const task = await taskPid(ctrd);
    assert.ok(task !== undefined && task.pid > 0, 'the task runs');
    assert.match(readFileSync(`/proc/${task.pid}/status`, 'utf8'), /CapEff:\s+0000000000000000/);

    const healthz = `http://127.0.0.1:${ports.metrics}/healthz`;
    let verdict = '';
    for (let tries = 0; tries < 60 && !verdict.includes('"ok":true'); tries++) {
      verdict = await fetch(healthz).then(
        (res) => res.text(),
        () => '',
      );
      if (!verdict.includes('"ok":true')) await sleep(500);
    }
    const logs = (): string => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    assert.match(verdict, /"ok":true/, `healthz ${verdict}\n${logs()}`);
    // Idle and healthy, far below the manifest's memory request (a job's peak is ~220 MiB).
    const rssKiB = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${task.pid}/status`, 'utf8'))?.[1]);
    t.diagnostic(`agent peak RSS while idle: ${Math.round(rssKiB / 1024)} MiB`);
    assert.ok(rssKiB > 0 && rssKiB < 256 * 1024, `${rssKiB} KiB`);

    await execa('ctr', ['-a', ctrd.address, '-n', ctrd.namespace, 'tasks', 'kill', '-s', 'SIGTERM', ID], {
      timeout: 10_000,
    });
    let state = await taskPid(ctrd);
    for (let tries = 0; tries < 40 && state?.status === 'RUNNING'; tries++) {
      await sleep(250);
      state = await taskPid(ctrd);
    }
    assert.equal(state?.status, 'STOPPED', logs());
    assert.match(logs(), /SIGTERM: draining/);
  });
});
