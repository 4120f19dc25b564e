import { mkdir, readFile, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { join } from 'node:path';

import { initFleet } from '../../../coordinator/fleet-setup/index.js';
import type { DistributionMode } from '../../../coordinator/upgrade/distribution-plan.js';
import type { ContainerdInstance } from '../../helpers/containerd-instance.js';
import type { DaemonProcess } from '../../helpers/daemon-process.js';
import { requireBinary } from '../../helpers/host-prereqs.js';
import { HELM_STAND_IN, KUBECTL_STAND_IN } from '../../helpers/kube-stand-ins.js';
import { spawnInNamespace, type NetnsEndpoint, type NodeNetwork } from '../../helpers/netns.js';
import { AIRLIFT_BIN } from '../../helpers/paths.js';
import type { BenchArchive } from './bench-archive.js';
import { measurePhase } from './measure.js';
import { cpuOfFleet, keepForInspection, profilingArgs } from './phase-diagnostics.js';
import { cpuSecondsOf } from './proc-tree.js';
import type { PhaseProbe, PhaseResult } from './measure.js';
import { startRuntimes, stopRuntimes } from './node-runtimes.js';
import type { StepContext } from './step.js';

/** One node of the bench fleet, as the airlift phases get it. */
export interface BenchNode {
  readonly index: number;
  readonly name: string;
  /** Its namespace: `prefix` runs a process there (spawnInNamespace for daemons); `ip` is its address. */
  readonly endpoint: NetnsEndpoint;
  /** A fresh, empty containerd on tmpfs, running in the host namespace; agents reach it by its socket. */
  readonly containerd: ContainerdInstance;
  /** A tmpfs dir of the node's own, for the agent's data dir and logs. */
  readonly dataDir: string;
}

/** Everything runAirlift needs; all of it is torn down by the bench, not by runAirlift. */
export interface BenchFleet {
  readonly network: NodeNetwork;
  /** network.coordinator: NATS and the coordinator must run (and bind) there. */
  readonly coordinator: NetnsEndpoint;
  /** A tmpfs dir for the coordinator side: NATS store, run dir, logs. */
  readonly coordinatorDir: string;
  readonly nodes: readonly BenchNode[];
  readonly archive: BenchArchive;
  readonly pieceMiB: number;
  /** The airlift phase's distribution (the star phase ignores it). */
  readonly distribution: DistributionMode;
  readonly stripes: number;
  readonly importer: 'ctr' | 'api';
  /** Register every coordinator and agent process started, for peak RSS. */
  readonly probe: PhaseProbe;
}

/** What runAirlift reports. */
export interface AirliftRun {
  /** From the upgrade's start until the slowest node reported every image verified. */
  readonly secondsUntilAllVerified: number;
  /** Same clock, per node, in node order, when known. */
  readonly perNodeSeconds?: readonly number[];
  /** Where the time and the CPU went, for the report's detail column. */
  readonly breakdown: Readonly<Record<string, number>>;
}

/**
 * Runs the real thing inside the bench network: nats-server and `airlift upgrade` in the coordinator's
 * namespace, one `airlift agent` per node namespace (its containerd reached by socket), and times the
 * upgrade command from start to exit. helm and kubectl are the recording stand-ins (no cluster here);
 * their part is milliseconds.
 */
export async function runAirlift(fleet: BenchFleet, mode: 'auto' | 'star'): Promise<AirliftRun> {
  const coordIp = fleet.coordinator.ip;
  const natsUrl = `tls://${coordIp}:4222`;
  const started: DaemonProcess[] = [];
  try {
    // Secured as the README sets a fleet up: identities, TLS NATS with per-identity permissions,
    // signed jobs and reports, a mutual-TLS data plane.
    const trust = await fleetIdentities(fleet, natsUrl);
    const nats = spawnInNamespace(fleet.coordinator, {
      name: 'nats-server',
      command: requireBinary('nats-server'),
      args: ['-c', trust.natsConf],
      logFile: join(fleet.coordinatorDir, 'nats.log'),
    });
    started.push(nats);
    const coordinatorArgs = ['--identity', trust.coordinator, '--nats', natsUrl];
    const agents: number[] = [];
    // Beyond addresses and directories, the agents run with their defaults (heartbeat 5 s, stall
    // timeout 15 s), as an operator starts them.
    for (const node of fleet.nodes) {
      const agent = spawnInNamespace(node.endpoint, {
        name: `agent ${node.name}`,
        command: process.execPath,
        args: [
          ...profilingArgs('agent'),
          AIRLIFT_BIN,
          'agent',
          '--identity',
          trust.node(node.name),
          '--nats',
          natsUrl,
          '--grpc-listen',
          `${node.endpoint.ip}:7481`,
          '--runtime',
          'containerd',
          '--containerd-address',
          node.containerd.address,
          '--data-dir',
          node.dataDir,
          '--spool-dir',
          join(node.dataDir, 'spool'),
          '--containerd-importer',
          fleet.importer,
        ],
        logFile: join(node.dataDir, 'agent.log'),
      });
      started.push(agent);
      agents.push(agent.pid);
      fleet.probe.watch('agent', agent.pid);
    }
    await waitForAgents(fleet, coordinatorArgs, started);
    const runDir = join(fleet.coordinatorDir, 'run');
    const t0 = Date.now();
    const benchChildrenBefore = cpuSecondsOf(process.pid)?.children ?? 0;
    // CPU counters before the upgrade: the breakdown is of the upgrade alone, not of process starts.
    const containerds = fleet.nodes.map((n) => n.containerd.pid);
    const cpuBefore = cpuOfFleet(agents, containerds, nats.pid);
    const upgrade = spawnInNamespace(fleet.coordinator, {
      name: 'airlift upgrade',
      command: process.execPath,
      args: [
        ...profilingArgs('coordinator'),
        AIRLIFT_BIN,
        'upgrade',
        fleet.archive.bundlePath,
        '--release',
        'kairship',
        '--namespace',
        'kairship-system',
        '--image-registry',
        '10.16.10.111',
        ...coordinatorArgs,
        '--listen',
        `${coordIp}:7480`,
        '--distribution',
        mode === 'auto' ? fleet.distribution : 'star',
        '--stripes',
        String(fleet.stripes),
        '--piece-size',
        `${Math.round(fleet.pieceMiB * 1024)}KiB`,
        '--run-dir',
        runDir,
        '--timeout',
        '30m',
        '--helm',
        HELM_STAND_IN,
        '--kubectl',
        KUBECTL_STAND_IN,
      ],
      logFile: join(fleet.coordinatorDir, 'upgrade.log'),
    });
    started.push(upgrade);
    fleet.probe.watch('coordinator', upgrade.pid);
    const exit = await upgrade.exited;
    // The upgrade process is the bench's child: once reaped, its CPU time is in the bench's cutime.
    const coordinatorCpu = (cpuSecondsOf(process.pid)?.children ?? 0) - benchChildrenBefore;
    if (exit.code !== 0)
      throw new Error(`airlift upgrade exited ${String(exit.code)}:\n${upgrade.logTail(30)}`);
    const run = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')) as {
      outcomes: { node: string; settledAt?: string; report?: { loadMs: number; totalMs: number } }[];
    };
    // From `airlift upgrade` starting until the coordinator holds each node's verified report: the
    // distribution, not the helm stand-ins that follow the barrier.
    const perNodeSeconds = fleet.nodes.map((node) => {
      const settled = run.outcomes.find((o) => o.node === node.name)?.settledAt;
      return settled === undefined ? NaN : (Date.parse(settled) - t0) / 1000;
    });
    const reports = run.outcomes.flatMap((o) => (o.report === undefined ? [] : [o.report]));
    const cpuAfter = cpuOfFleet(agents, containerds, nats.pid);
    const breakdown = {
      // From the upgrade's start until the first job started on a node (process start, bundle, manifest).
      startSeconds: Math.min(
        ...run.outcomes.map(
          (o) => (Date.parse(o.settledAt ?? '') - t0) / 1000 - (o.report?.totalMs ?? NaN) / 1000,
        ),
      ),
      slowestLoadSeconds: Math.max(...reports.map((r) => r.loadMs / 1000)),
      slowestVerifySeconds: Math.max(...reports.map((r) => (r.totalMs - r.loadMs) / 1000)),
      cpuAgentsSeconds: cpuAfter.agents - cpuBefore.agents,
      cpuCtrSeconds: cpuAfter.ctr - cpuBefore.ctr,
      cpuContainerdSeconds: cpuAfter.containerd - cpuBefore.containerd,
      cpuCoordinatorSeconds: coordinatorCpu,
      cpuNatsSeconds: cpuAfter.nats - cpuBefore.nats,
    };
    return { secondsUntilAllVerified: Math.max(...perNodeSeconds), perNodeSeconds, breakdown };
  } finally {
    // Agents before NATS: an agent that loses NATS while draining waits out its heartbeat timeouts.
    const [natsServer, ...rest] = started;
    await Promise.allSettled(rest.map((p) => p.stop(15_000)));
    await natsServer?.stop(15_000);
  }
}

// The host has no route into the bench network: ask from inside the coordinator's namespace.
async function waitForAgents(
  fleet: BenchFleet,
  coordinatorArgs: readonly string[],
  started: readonly DaemonProcess[],
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await execa(
      fleet.coordinator.prefix[0] ?? 'ip',
      [
        ...fleet.coordinator.prefix.slice(1),
        process.execPath,
        AIRLIFT_BIN,
        'status',
        ...coordinatorArgs,
        '--output',
        'json',
      ],
      { reject: false, timeout: 20_000 },
    );
    if (status.exitCode === 0) {
      const rows = JSON.parse(status.stdout) as { node: string; health: string }[];
      const healthy = rows.filter((r) => r.health === 'healthy').length;
      if (healthy >= fleet.nodes.length) return;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `agents not healthy after 60 s: ${status.stdout} ${status.stderr}\n${started.map((p) => p.logTail(5)).join('\n')}`,
      );
    }
    await sleep(500);
  }
}

/** The 'airlift' (mode auto) or 'star' phase: fresh runtimes, runAirlift timed under sampling. */
export async function runAirliftPhase(step: StepContext, mode: 'auto' | 'star'): Promise<PhaseResult> {
  const root = step.data.path;
  const runtimes = await startRuntimes(step.nodeCount, root);
  const dirs = [join(root, 'coordinator'), ...step.network.nodes.map((_, i) => join(root, `node-${i}`))];
  try {
    await Promise.all(dirs.map((dir) => mkdir(dir)));
    return await measurePhase(mode === 'auto' ? 'airlift' : 'star', step.network, async (probe) => {
      const nodes = runtimes.map((containerd, index): BenchNode => ({
        index,
        name: `node-${index}`,
        endpoint: step.network.exec(index),
        containerd,
        dataDir: join(root, `node-${index}`),
      }));
      const run = await runAirlift(
        {
          network: step.network,
          coordinator: step.network.coordinator,
          coordinatorDir: join(root, 'coordinator'),
          nodes,
          archive: step.archive,
          pieceMiB: step.options.pieceMiB,
          distribution: step.options.distribution,
          stripes: step.options.stripes,
          importer: step.options.importer,
          probe,
        },
        mode,
      );
      return {
        seconds: run.secondsUntilAllVerified,
        detail: {
          ...(run.perNodeSeconds === undefined
            ? {}
            : { fastestNodeSeconds: Math.min(...run.perNodeSeconds) }),
          ...run.breakdown,
        },
      };
    });
  } finally {
    await stopRuntimes(runtimes);
    await keepForInspection(root, mode, step.nodeCount);
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** A fresh fleet of identities for this run's nodes, with nats-server listening on the coordinator's address. */
async function fleetIdentities(
  fleet: BenchFleet,
  natsUrl: string,
): Promise<{ natsConf: string; coordinator: string; node: (name: string) => string }> {
  const dir = join(fleet.coordinatorDir, 'fleet');
  await rm(dir, { recursive: true, force: true });
  const { paths } = await initFleet({
    dir,
    nodes: fleet.nodes.map((n) => n.name),
    natsListen: `${fleet.coordinator.ip}:4222`,
    natsStoreDir: join(fleet.coordinatorDir, 'js'),
    natsUrls: [natsUrl],
  });
  return { natsConf: paths.natsConf, coordinator: paths.coordinator, node: (name) => paths.node(name) };
}
