import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FleetRegistry, type AgentRow } from '../../coordinator/fleet/index.js';
import { connectBus, type Bus } from '../../shared/bus/index.js';
import type { BusConnectOptions } from '../../shared/bus/bus-connect-options.js';
import { silentLogger } from '../../shared/logging/index.js';
import { loadIdentity, type TrustPolicy } from '../../shared/trust/index.js';
import { startContainerd, type ContainerdInstance } from './containerd-instance.js';
import { spawnDaemon, type DaemonProcess } from './daemon-process.js';
import { startDockerd, type DockerdInstance } from './dockerd-instance.js';
import { startNats, type NatsInstance } from './nats-instance.js';
import { AIRLIFT_BIN } from './paths.js';
import { makeTempDir, type TempDir } from './temp-dir.js';
import { makeTestFleet, openTestFleet, type TestFleet } from './test-fleet.js';

/** One simulated node: a name and the runtime it runs. */
export interface FleetNodeSpec {
  readonly name: string;
  readonly runtime: 'docker' | 'containerd';
  /** Extra `airlift agent` flags (e.g. a faulty --ctr) for fault tests. */
  readonly agentArgs?: readonly string[];
}

/** A node of the local fleet: its own runtime instance and an `airlift agent` process. */
export interface FleetNode {
  readonly name: string;
  readonly runtime: 'docker' | 'containerd';
  readonly containerd?: ContainerdInstance;
  readonly dockerd?: DockerdInstance;
  /** The agent's runtime flags, also usable for `airlift node load` against the same runtime. */
  readonly runtimeArgs: readonly string[];
  readonly agentArgs: readonly string[];
  agent: DaemonProcess;
}

/** NATS plus agents, each with a runtime of its own; stop() removes everything. */
export interface LocalFleet {
  readonly nats: NatsInstance;
  readonly nodes: readonly FleetNode[];
  readonly dir: string;
  /** A bus connection for the test's own reads (fleet registry, run state), as the coordinator. */
  readonly bus: Bus;
  /** How the coordinator checks heartbeats and events (the fleet's keys, or insecure). */
  readonly policy: TrustPolicy;
  /** The fleet's identities and nats config (undefined for an insecure fleet). */
  readonly trust: TestFleet | undefined;
  /** `--identity <coordinator.json> --nats <url>` (or `--insecure --nats <url>`): for every coordinator command. */
  readonly coordinatorArgs: readonly string[];
  node(name: string): FleetNode;
  /** SIGTERM the agent and wait for it to drain and exit. */
  stopAgent(name: string): Promise<void>;
  /** SIGKILL the agent: it dies without saying goodbye, as a crashed node would. */
  killAgent(name: string): Promise<void>;
  /** Start a stopped agent again with the same flags. */
  startAgent(name: string): Promise<void>;
  /** Waits until the registry shows `name` with the given health. */
  waitForHealth(name: string, health: AgentRow['health'], timeoutMs: number): Promise<AgentRow>;
  stop(): Promise<void>;
}

/** Options of startLocalFleet. */
export interface LocalFleetOptions {
  readonly heartbeatMs?: number;
  /** Run without `airlift fleet init`'s identities: plain NATS, unsigned jobs, plaintext data plane. */
  readonly insecure?: boolean;
  /**
   * Makes the fleet dir (identities, nats-server.conf) in `dir` for `nodes`, e.g. by running `airlift
   * fleet init` with TEST_FLEET_INIT's settings; default: the fleet-setup library directly.
   */
  readonly fleetInit?: (dir: string, nodes: readonly string[]) => Promise<void>;
  readonly agentEnv?: Readonly<Record<string, string>>;
}

/** Starts nats-server, one runtime per node and one agent process per node, and waits until all are healthy. */
export async function startLocalFleet(
  specs: readonly FleetNodeSpec[],
  options: LocalFleetOptions = {},
): Promise<LocalFleet> {
  const dir: TempDir = makeTempDir('airlift-fleet');
  const heartbeat = `${options.heartbeatMs ?? 1000}ms`;
  const started: { stop(): Promise<void> }[] = [];
  let bus: Bus | undefined;
  try {
    const names = specs.map((s) => s.name);
    const fleetDir = join(dir.path, 'fleet');
    const init = options.fleetInit;
    const trust =
      options.insecure === true
        ? undefined
        : init === undefined
          ? await makeTestFleet(fleetDir, names)
          : await init(fleetDir, names).then(() => openTestFleet(fleetDir, names));
    const nats = trust === undefined ? await startNats() : await trust.startNats();
    started.push(nats);
    await trust?.pointAt(nats.url);
    const coordinatorArgs =
      trust === undefined
        ? ['--insecure', '--nats', nats.url]
        : ['--identity', trust.coordinatorFile, '--nats', nats.url];
    const coordinator =
      trust === undefined ? undefined : await loadIdentity(trust.coordinatorFile, 'coordinator');
    const busOptions: BusConnectOptions =
      coordinator === undefined
        ? { servers: [nats.url], name: 'airlift-test' }
        : {
            servers: [nats.url],
            name: 'airlift-test',
            nkeySeed: coordinator.nats.seed,
            inboxPrefix: coordinator.nats.inboxPrefix,
            tls: { ca: coordinator.tls.ca },
          };
    // The coordinator makes the registry bucket: a signed agent may only put its own key into it.
    bus = await connectBus(busOptions, silentLogger());
    const policy: TrustPolicy =
      coordinator === undefined
        ? { kind: 'insecure' }
        : { kind: 'signed', keyFor: (signer) => coordinator.nodeKeys.get(signer) };
    const fleet = await FleetRegistry.open(bus, policy);
    const runtimes = await Promise.all(
      specs.map(async (spec) =>
        spec.runtime === 'containerd'
          ? { spec, containerd: await startContainerd({ dirPrefix: `airlift-${spec.name}` }) }
          : { spec, dockerd: await startDockerd({ dirPrefix: `airlift-${spec.name}` }) },
      ),
    );
    for (const r of runtimes) started.push(r.containerd ?? r.dockerd);
    const nodes: FleetNode[] = runtimes.map(({ spec, containerd, dockerd }) => {
      const runtimeArgs =
        containerd !== undefined
          ? [
              '--runtime',
              'containerd',
              '--containerd-address',
              containerd.address,
              '--data-dir',
              containerd.root,
            ]
          : ['--runtime', 'docker', '--docker-host', dockerd.host, '--data-dir', dockerd.dataRoot];
      return {
        name: spec.name,
        runtime: spec.runtime,
        runtimeArgs,
        agentArgs: spec.agentArgs ?? [],
        ...(containerd === undefined ? {} : { containerd }),
        ...(dockerd === undefined ? {} : { dockerd }),
        agent: undefined as unknown as DaemonProcess,
      };
    });
    const spawnAgent = (node: FleetNode): DaemonProcess =>
      spawnDaemon({
        name: `agent ${node.name}`,
        command: process.execPath,
        args: [
          AIRLIFT_BIN,
          'agent',
          '--node',
          node.name,
          ...(trust === undefined ? ['--insecure'] : ['--identity', trust.nodeFiles[node.name] ?? '']),
          '--nats',
          nats.url,
          '--grpc-listen',
          '127.0.0.1:0',
          '--heartbeat',
          heartbeat,
          '--drain-timeout',
          '10s',
          '--spool-dir',
          join(dir.path, `spool-${node.name}`),
          '--stall-timeout',
          '5s',
          ...node.runtimeArgs,
          ...node.agentArgs,
        ],
        logFile: join(dir.path, `agent-${node.name}.log`),
      });
    for (const node of nodes) node.agent = spawnAgent(node);
    const waitForHealth = async (
      name: string,
      health: AgentRow['health'],
      timeoutMs: number,
    ): Promise<AgentRow> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // The test's own connection may itself be reconnecting: a failed read is just "not yet".
        const row = await fleet.get(name).catch(() => undefined);
        if (row?.health === health) return row;
        const agent = nodes.find((n) => n.name === name)?.agent;
        if (Date.now() > deadline) {
          throw new Error(
            `agent ${name} not ${health} after ${timeoutMs} ms (now ${row?.health ?? 'absent'}); log:\n${agent?.logTail() ?? ''}`,
          );
        }
        await sleep(100);
      }
    };
    for (const node of nodes) await waitForHealth(node.name, 'healthy', 30_000);
    const ownBus = bus;
    const find = (name: string): FleetNode => {
      const node = nodes.find((n) => n.name === name);
      if (node === undefined) throw new Error(`no fleet node ${name}`);
      return node;
    };
    let stopped = false;
    return {
      nats,
      nodes,
      dir: dir.path,
      bus: ownBus,
      policy,
      trust,
      coordinatorArgs,
      node: find,
      stopAgent: (name) => find(name).agent.stop(15_000),
      async killAgent(name) {
        const agent = find(name).agent;
        process.kill(agent.pid, 'SIGKILL');
        await agent.exited;
      },
      async startAgent(name) {
        const node = find(name);
        node.agent = spawnAgent(node);
        await waitForHealth(name, 'healthy', 30_000);
      },
      waitForHealth,
      async stop() {
        if (stopped) return;
        stopped = true;
        await Promise.allSettled(nodes.map((n) => n.agent.stop(15_000)));
        await ownBus.drain();
        await Promise.allSettled(started.reverse().map((s) => s.stop()));
        await dir.remove();
      },
    };
  } catch (err) {
    await bus?.drain();
    await Promise.allSettled(started.reverse().map((s) => s.stop()));
    await dir.remove();
    throw err;
  }
}
