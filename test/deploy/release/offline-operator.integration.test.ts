// The operator's offline path end to end, with nothing but the release tarball and a bundle: install.sh
// per machine root, `airlift fleet init` from the installed executable, nats-server and one installed
// agent per node inside network namespaces that have no route anywhere (no registry, no internet), then
// the installed `airlift upgrade` through to the helm stand-in's upgrade call.
import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { startContainerd, type ContainerdInstance } from '../../helpers/containerd-instance.js';
import type { DaemonProcess } from '../../helpers/daemon-process.js';
import { writeSampleBundle } from '../../helpers/fixtures/sample-bundle.js';
import { requireBinary } from '../../helpers/host-prereqs.js';
import {
  HELM_STAND_IN,
  KUBECTL_STAND_IN,
  readStandInLog,
  STAND_IN_BIN,
} from '../../helpers/kube-stand-ins.js';
import {
  createNodeNetwork,
  spawnInNamespace,
  type NetnsEndpoint,
  type NodeNetwork,
} from '../../helpers/netns.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { buildAndExtract, runWithout, type ExtractedRelease } from './installed-release.js';

const NODES = ['node-0', 'node-1'];
const REGISTRY = '10.16.10.111';

describe(
  'offline operator: release tarball + bundle → installed fleet → airlift upgrade',
  { timeout: 600_000 },
  () => {
    let tmp: TempDir | undefined;
    let dir: string;
    let rel: ExtractedRelease;
    let network: NodeNetwork | undefined;
    const runtimes: ContainerdInstance[] = [];
    const daemons: DaemonProcess[] = [];
    const root = (machine: string): string => join(dir, 'machines', machine);
    const airlift = (machine: string): string => join(root(machine), 'usr/local/bin/airlift');

    /** `env` arguments that run `command` from `dir` with only PATH=`path` (no node on it). */
    const nodeless = (path: string, command: readonly string[]): string[] => [
      '-i',
      `--chdir=${dir}`,
      `PATH=${path}`,
      ...command,
    ];
    /** Runs `command` inside `end`'s namespace, without node on PATH, bounded in time. */
    const runIn = async (end: NetnsEndpoint, path: string, command: readonly string[], timeoutMs: number) => {
      const [ip = 'ip', ...prefix] = end.prefix;
      const run = await execa(ip, [...prefix, '/usr/bin/env', ...nodeless(path, command)], {
        reject: false,
        timeout: timeoutMs,
      });
      return { exitCode: run.exitCode ?? -1, stdout: run.stdout, stderr: run.stderr };
    };

    before(async () => {
      tmp = makeTempDir('airlift-offline');
      dir = tmp.path;
      rel = await buildAndExtract(dir);
      network = await createNodeNetwork({ count: NODES.length, rateMbit: 1000 });
      for (const [i] of NODES.entries()) {
        runtimes.push(await startContainerd({ dirPrefix: `airlift-ofl-${i}` }));
      }
    });
    after(async () => {
      // Agents and the upgrade before nats-server: an agent losing NATS while draining waits out timeouts.
      await Promise.allSettled(daemons.slice(1).map((daemon) => daemon.stop(15_000)));
      await daemons[0]?.stop(15_000);
      await network?.destroy();
      await Promise.allSettled(runtimes.map((runtime) => runtime.stop()));
      await tmp?.remove();
    });

    let net: NodeNetwork;
    let fleetDir: string;
    let coordinatorIdentity: string;
    const status = () =>
      runIn(
        net.coordinator,
        rel.path,
        [airlift('coordinator'), 'status', '--identity', coordinatorIdentity],
        30_000,
      );

    it('install.sh installs the coordinator and every node, each under its own root', async () => {
      assert.ok(network !== undefined);
      net = network;
      // Offline for real: no namespace of the fleet has a route beyond its own subnet.
      for (const end of [net.coordinator, ...net.nodes]) {
        const routes = await execa('ip', ['-n', end.netns, 'route', 'show', 'default'], { timeout: 10_000 });
        assert.equal(routes.stdout, '', `${end.netns} has a default route`);
      }
      // As the operator does on each machine; here each machine is a root directory.
      const machines: [string, string][] = [
        ['coordinator', 'coordinator'],
        ...NODES.map((n): [string, string] => [n, 'agent']),
      ];
      for (const [machine, role] of machines) {
        const install = ['install', '--prefix', root(machine), '--role', role];
        const run = await runWithout(rel.path, join(rel.dir, 'install.sh'), install, dir);
        assert.equal(run.exitCode, 0, run.stderr);
      }
    });

    it('the installed airlift sets the fleet up; nats-server and the installed agents start, all healthy', async () => {
      const coordinatorIp = net.coordinator.ip;
      fleetDir = join(root('coordinator'), 'etc/airlift/fleet');
      const init = await runWithout(
        rel.path,
        airlift('coordinator'),
        [
          'fleet',
          'init',
          '--dir',
          fleetDir,
          '--nodes',
          NODES.join(','),
          '--nats-url',
          `tls://${coordinatorIp}:4222`,
          '--nats-listen',
          `${coordinatorIp}:4222`,
          '--nats-store',
          join(dir, 'jetstream'),
        ],
        dir,
      );
      assert.equal(init.exitCode, 0, init.stderr);
      for (const node of NODES) {
        await copyFile(join(fleetDir, 'nodes', `${node}.json`), join(root(node), 'etc/airlift/agent.json'));
      }
      coordinatorIdentity = join(fleetDir, 'coordinator.json');
      // nats-server with the generated config, in the coordinator's namespace.
      daemons.push(
        spawnInNamespace(net.coordinator, {
          name: 'nats-server',
          command: requireBinary('nats-server'),
          args: ['-c', join(fleetDir, 'nats/nats-server.conf')],
          logFile: join(dir, 'nats.log'),
        }),
      );
      // The coordinator's first status creates the registry (exit 11: nobody announced yet).
      await waitFor(
        async () => (await status()).exitCode === 11,
        30_000,
        'nats-server to serve the coordinator',
      );
      // One installed agent per node namespace, its own containerd reached by socket.
      for (const [i, node] of NODES.entries()) {
        const end = net.exec(i);
        const runtime = runtimes[i];
        assert.ok(runtime !== undefined);
        await mkdir(join(root(node), 'var/lib/airlift'), { recursive: true, mode: 0o700 });
        const args = nodeless(rel.path, [
          airlift(node),
          'agent',
          '--identity',
          join(root(node), 'etc/airlift/agent.json'),
          '--grpc-listen',
          `${end.ip}:7481`,
          '--heartbeat',
          '1s',
          '--runtime',
          'containerd',
          '--containerd-address',
          runtime.address,
          '--data-dir',
          runtime.root,
          '--spool-dir',
          join(root(node), 'var/lib/airlift/spool'),
        ]);
        daemons.push(
          spawnInNamespace(end, {
            name: `agent ${node}`,
            command: '/usr/bin/env',
            args,
            logFile: join(dir, `agent-${node}.log`),
          }),
        );
      }
      await waitFor(
        async () => (await status()).exitCode === 0,
        60_000,
        'every agent to be healthy',
        () => daemons.map((d) => `${d.name}:\n${d.logTail(10)}`).join('\n'),
      );
    });

    it('the installed airlift upgrade loads every node and runs helm upgrade (stand-in)', async () => {
      const coordinatorIp = net.coordinator.ip;
      const bundle = await writeSampleBundle(dir, { layerBytes: 64 * 1024 });
      const log = join(dir, 'kube.log');
      const runDir = join(dir, 'run');
      const upgrade = await runIn(
        net.coordinator,
        `${STAND_IN_BIN}:${rel.path}`,
        [
          `AIRLIFT_STANDIN_LOG=${log}`,
          airlift('coordinator'),
          'upgrade',
          bundle.path,
          '--release',
          'kairship',
          '--namespace',
          'kairship-system',
          '--image-registry',
          REGISTRY,
          '--identity',
          coordinatorIdentity,
          '--listen',
          `${coordinatorIp}:7480`,
          '--run-dir',
          runDir,
          '--timeout',
          '120s',
          '--helm',
          HELM_STAND_IN,
          '--kubectl',
          KUBECTL_STAND_IN,
        ],
        240_000,
      );
      assert.equal(upgrade.exitCode, 0, `${upgrade.stdout}\n${upgrade.stderr}`);
      const helmUpgrade = (await readStandInLog(log)).find(
        (call) => call.tool === 'helm' && call.argv[0] === 'upgrade',
      );
      assert.deepEqual(helmUpgrade?.argv.slice(0, 2), ['upgrade', 'kairship']);
      assert.ok(helmUpgrade.argv.includes(`global.imageRegistry=${REGISTRY}`), helmUpgrade.argv.join(' '));
      for (const runtime of runtimes) {
        const { stdout } = await execa('ctr', ['-a', runtime.address, '-n', 'k8s.io', 'images', 'ls', '-q'], {
          timeout: 30_000,
        });
        for (const reference of bundle.references) {
          const target = reference.replace(/^[^/]+/, REGISTRY);
          assert.ok(stdout.split('\n').includes(target), `${runtime.address} lacks ${target}`);
        }
      }
    });
  },
);

/** Polls `check` until it passes; throws naming what it waited for (and `detail()`) after `timeoutMs`. */
async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  detail: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
