// A bandwidth-limited fleet network on one machine, built only from network namespaces this process
// creates, so nothing is added to the host's own namespace and no packet can leave the machine:
//
//   airlift-bench-<pid>-hub     a bridge br0 and no address: the switch
//   airlift-bench-<pid>-coord   eth0 = subnet .1, the coordinator, with a link of its own
//   airlift-bench-<pid>-<i>     eth0 = subnet .2+i, node i
//
// Each endpoint is a veth pair created straight into its two namespaces (never in the host's), one end
// on the bridge. tbf shapes egress on both ends, so an endpoint can neither send nor receive faster than
// its rate. The coordinator gets a shaped link too: otherwise star mode and the scp-like baseline would
// upload N copies at no cost and look as good as a relay. No namespace has a default route.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { execa } from 'execa';

import { spawnDaemon } from './daemon-process.js';
import type { DaemonProcess, SpawnDaemonOptions } from './daemon-process.js';
import { isAlive, mountsUnder } from './dir-leftovers.js';
import { requireBinary, requireRoot } from './host-prereqs.js';
import { onEmergencyCleanup } from './process-registry.js';

/** Every namespace this helper creates starts with this, then the creating pid. */
export const NETNS_PREFIX = 'airlift-bench-';

/** One end of the fleet network: a namespace holding eth0 with one address on the subnet. */
export interface NetnsEndpoint {
  readonly netns: string;
  readonly ip: string;
  /** argv prefix that runs a command inside the namespace: `[ip, 'netns', 'exec', netns]`. */
  readonly prefix: readonly string[];
  /** The veth end on the bridge, in the hub namespace; its egress is what this endpoint downloads. */
  readonly hubInterface: string;
}

/** Knobs of createNodeNetwork. */
export interface NodeNetworkOptions {
  readonly count: number;
  /** Each node's link rate, both directions, in Mbit/s (10^6 bit/s). */
  readonly rateMbit: number;
  /** The coordinator's link rate; default rateMbit. */
  readonly coordinatorRateMbit?: number;
  /** Default 10.201.0.0/24; exists only on the bridge in the hub namespace. */
  readonly subnet?: string;
  /** One-way delay added on every shaped egress (needs sch_netem in the kernel). */
  readonly delayMs?: number;
}

/** Bytes through an endpoint's eth0 as its own namespace counts them (Ethernet frames, headers included). */
export interface LinkCounters {
  readonly txBytes: number;
  readonly rxBytes: number;
}

/** The namespaces, addresses and shaping of one fleet; destroy() removes all of it. */
export interface NodeNetwork {
  readonly hub: string;
  readonly coordinator: NetnsEndpoint;
  readonly nodes: readonly NetnsEndpoint[];
  readonly rateMbit: number;
  readonly coordinatorRateMbit: number;
  /** Node `nsIndex` (0-based): its prefix argv and IP. */
  exec(nsIndex: number): NetnsEndpoint;
  counters(endpoint: NetnsEndpoint): Promise<LinkCounters>;
  /** Kills whatever still runs in the namespaces and deletes them; safe to call again. */
  destroy(): Promise<void>;
}

const CMD_TIMEOUT_MS = 10_000;
const RUN_NETNS = '/run/netns';
// `ip netns add` bind-mounts /run/netns onto itself the first time. When that is our doing this marker
// says so (and whether the directory existed), so the last cleanup, even a later run's, can undo it.
const RUN_NETNS_MARKER = '/run/airlift-bench-run-netns.marker';
const MAX_ENDPOINTS = 250;

let liveNetwork = false;

/** Builds the hub, the coordinator and `count` node namespaces, shaped at rateMbit. */
export async function createNodeNetwork(options: NodeNetworkOptions): Promise<NodeNetwork> {
  requireRoot('createNodeNetwork');
  const ipBin = requireBinary('ip');
  const tcBin = requireBinary('tc');
  const { count, rateMbit } = options;
  const coordinatorRateMbit = options.coordinatorRateMbit ?? rateMbit;
  if (!Number.isInteger(count) || count < 1 || count > MAX_ENDPOINTS) {
    throw new Error(`createNodeNetwork: count must be 1..${MAX_ENDPOINTS}, got ${count}`);
  }
  if (!(rateMbit > 0) || !(coordinatorRateMbit > 0)) throw new Error('createNodeNetwork: rates must be > 0');
  // Names carry only the pid: two live networks in one process would collide.
  if (liveNetwork) throw new Error('createNodeNetwork: destroy the previous network first');
  const { address, prefixLength } = hostAddresses(options.subnet ?? '10.201.0.0/24', count + 2);

  const base = `${NETNS_PREFIX}${process.pid}-`;
  const hub = `${base}hub`;
  const endpoint = (netns: string, ip: string, hubInterface: string): NetnsEndpoint => ({
    netns,
    ip,
    prefix: [ipBin, 'netns', 'exec', netns],
    hubInterface,
  });
  const coordinator = endpoint(`${base}coord`, address(1), 'c0');
  const nodes = Array.from({ length: count }, (_, i) => endpoint(`${base}${i}`, address(2 + i), `n${i}`));
  const created: string[] = [];

  liveNetwork = true;
  // Registered before the first namespace exists, so an exit at any later point still removes it.
  const forgetEmergency = onEmergencyCleanup(() => {
    removeNamespacesSync(ipBin, created);
  });
  let destroying: Promise<void> | undefined;
  const destroy = (): Promise<void> => {
    destroying ??= (async () => {
      await removeNamespaces(ipBin, [...created].reverse());
      releaseRunNetnsMount();
      forgetEmergency();
      liveNetwork = false;
    })();
    return destroying;
  };

  // One string per command for legibility: every name and address in them is ours, none has a space.
  const ip = (command: string) => execa(ipBin, command.split(' '), { timeout: CMD_TIMEOUT_MS });
  const tc = (command: string) => execa(tcBin, command.split(' '), { timeout: CMD_TIMEOUT_MS });
  const shape = async (netns: string, dev: string, mbit: number): Promise<void> => {
    const qdisc = `-n ${netns} qdisc add dev ${dev}`;
    if (options.delayMs === undefined || options.delayMs === 0) {
      await tc(`${qdisc} root handle 1: ${tbfArgs(mbit)}`);
      return;
    }
    // netem's default 1000-packet queue would drop at these rates once delayed; tbf below does the shaping.
    await tc(`${qdisc} root handle 1: netem delay ${options.delayMs}ms limit 100000`);
    await tc(`${qdisc} parent 1:1 handle 10: ${tbfArgs(mbit)}`);
  };
  const addNamespace = async (netns: string): Promise<void> => {
    noteRunNetnsMount();
    created.push(netns);
    await ip(`netns add ${netns}`);
    await ip(`-n ${netns} link set dev lo up`);
  };

  try {
    await addNamespace(hub);
    await ip(`-n ${hub} link add name br0 type bridge`);
    // No IPv6 link-local addresses: no router solicitations or MLD reports in the byte counters.
    await ip(`-n ${hub} link set dev br0 addrgenmode none up`);
    for (const end of [coordinator, ...nodes]) {
      await addNamespace(end.netns);
      // Created straight into the two namespaces: the pair never exists in the host's.
      await ip(`link add name ${end.hubInterface} netns ${hub} type veth peer name eth0 netns ${end.netns}`);
      await ip(`-n ${hub} link set dev ${end.hubInterface} addrgenmode none master br0 up`);
      await ip(`-n ${end.netns} link set dev eth0 addrgenmode none`);
      await ip(`-n ${end.netns} addr add ${end.ip}/${prefixLength} dev eth0`);
      await ip(`-n ${end.netns} link set dev eth0 up`);
      const mbit = end === coordinator ? coordinatorRateMbit : rateMbit;
      await shape(end.netns, 'eth0', mbit);
      await shape(hub, end.hubInterface, mbit);
    }
  } catch (error) {
    await destroy().catch(() => undefined);
    throw error;
  }

  return {
    hub,
    coordinator,
    nodes,
    rateMbit,
    coordinatorRateMbit,
    exec(nsIndex) {
      const node = nodes[nsIndex];
      if (node === undefined) throw new Error(`no node namespace ${nsIndex} (have ${nodes.length})`);
      return node;
    },
    counters: (end) => readCounters(ipBin, end.netns, 'eth0'),
    destroy,
  };
}

/**
 * Removes `airlift-bench-*` namespaces whose creating process is gone (a crashed or SIGKILLed run),
 * killing anything still inside first. Links need no pass of their own: they only ever exist inside
 * these namespaces and go with them. Returns the names removed.
 */
export async function cleanupStale(): Promise<string[]> {
  requireRoot('cleanupStale');
  const ipBin = requireBinary('ip');
  const stale = (await listNamespaces(ipBin)).filter((name) => {
    const pid = ownerPid(name);
    return pid !== undefined && pid !== process.pid && !isAlive(pid);
  });
  await removeNamespaces(ipBin, stale);
  releaseRunNetnsMount();
  return stale;
}

/** Names of the `airlift-bench-*` namespaces that exist now. */
export async function listBenchNamespaces(): Promise<string[]> {
  return listNamespaces(requireBinary('ip'));
}

async function listNamespaces(ipBin: string): Promise<string[]> {
  const { stdout } = await execa(ipBin, ['netns', 'list'], { timeout: CMD_TIMEOUT_MS });
  // Lines read `name` or `name (id: 3)`.
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(NETNS_PREFIX));
}

function ownerPid(name: string): number | undefined {
  const match = /^airlift-bench-(\d+)-/.exec(name);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

// A namespace deleted while a process still runs in it only loses its name: it lives on, veths and
// all, until that process ends. So every process inside goes first.
async function removeNamespaces(ipBin: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const pids = await execa(ipBin, ['netns', 'pids', name], { timeout: CMD_TIMEOUT_MS, reject: false });
    const inside = pids.stdout
      .split('\n')
      .filter((line) => /^\d+$/.test(line))
      .map(Number);
    killAll(inside);
    const deadline = Date.now() + 5_000;
    while (inside.some(isAlive) && Date.now() < deadline) await sleep(50);
    await execa(ipBin, ['netns', 'del', name], { timeout: CMD_TIMEOUT_MS, reject: false });
  }
}

function removeNamespacesSync(ipBin: string, names: readonly string[]): void {
  for (const name of [...names].reverse()) {
    try {
      const out = execFileSync(ipBin, ['netns', 'pids', name], { timeout: CMD_TIMEOUT_MS, encoding: 'utf8' });
      killAll(
        out
          .split('\n')
          .filter((line) => /^\d+$/.test(line))
          .map(Number),
      );
      execFileSync(ipBin, ['netns', 'del', name], { stdio: 'ignore', timeout: CMD_TIMEOUT_MS });
    } catch {
      // Keep going: one namespace that will not go must not keep the others.
    }
  }
  releaseRunNetnsMount();
}

function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

function noteRunNetnsMount(): void {
  if (existsSync(RUN_NETNS_MARKER) || mountsUnder(RUN_NETNS).includes(RUN_NETNS)) return;
  writeFileSync(RUN_NETNS_MARKER, existsSync(RUN_NETNS) ? 'dir-existed\n' : 'dir-created\n');
}

// Synchronous so the exit hook can use it too. Leaves the mount alone while any namespace, ours or
// anyone's, still has its file in there.
function releaseRunNetnsMount(): void {
  if (!existsSync(RUN_NETNS_MARKER)) return;
  try {
    if (existsSync(RUN_NETNS) && readdirSync(RUN_NETNS).length > 0) return;
    const dirCreated = readFileSync(RUN_NETNS_MARKER, 'utf8').startsWith('dir-created');
    if (mountsUnder(RUN_NETNS).includes(RUN_NETNS)) {
      execFileSync('umount', [RUN_NETNS], { stdio: 'ignore', timeout: CMD_TIMEOUT_MS });
    }
    if (dirCreated && existsSync(RUN_NETNS)) rmdirSync(RUN_NETNS);
    rmSync(RUN_NETNS_MARKER, { force: true });
  } catch {
    // Busy or already gone: the next cleanup tries again.
  }
}

async function readCounters(ipBin: string, netns: string, dev: string): Promise<LinkCounters> {
  const { stdout } = await execa(ipBin, ['-n', netns, '-s', '-j', 'link', 'show', 'dev', dev], {
    timeout: CMD_TIMEOUT_MS,
  });
  const [link] = JSON.parse(stdout) as { stats64?: { rx: { bytes: number }; tx: { bytes: number } } }[];
  if (link?.stats64 === undefined) throw new Error(`no counters for ${dev} in ${netns}`);
  return { txBytes: link.stats64.tx.bytes, rxBytes: link.stats64.rx.bytes };
}

// Burst: at least one 64 KiB GSO frame (veth passes TCP segments that large), else 2 ms at the rate,
// which the kernel's high-resolution timers refill smoothly. Latency bounds the queue at 50 ms.
function tbfArgs(mbit: number): string {
  const burstBytes = Math.max(64 * 1024 + 1514, Math.ceil((mbit * 1e6 * 0.002) / 8));
  return `tbf rate ${mbit}mbit burst ${burstBytes} latency 50ms`;
}

function hostAddresses(
  subnet: string,
  needed: number,
): { address: (host: number) => string; prefixLength: number } {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet);
  const octets = match?.slice(1, 5).map(Number) ?? [];
  const prefixLength = Number(match?.[5]);
  if (octets.length !== 4 || octets.some((o) => o > 255) || !(prefixLength >= 8 && prefixLength <= 30)) {
    throw new Error(`createNodeNetwork: subnet must be an IPv4 a.b.c.d/8..30, got ${subnet}`);
  }
  const network = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefixLength);
  if (network % size !== 0) throw new Error(`createNodeNetwork: ${subnet} has host bits set`);
  if (needed > size - 2) throw new Error(`createNodeNetwork: ${subnet} has no room for ${needed} hosts`);
  const address = (host: number): string => {
    const value = network + host;
    return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
  };
  return { address, prefixLength };
}

/**
 * Starts a long-running process inside an endpoint's namespace, as spawnDaemon does (log file, killed
 * at exit). `ip netns exec` execs the command, so the pid is the process's own.
 */
export function spawnInNamespace(end: NetnsEndpoint, options: SpawnDaemonOptions): DaemonProcess {
  const [ip = 'ip', ...prefix] = end.prefix;
  return spawnDaemon({ ...options, command: ip, args: [...prefix, options.command, ...options.args] });
}
