import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { execa } from 'execa';

import { spawnDaemon, waitUntilReady } from './daemon-process.js';
import type { DaemonProcess } from './daemon-process.js';
import { cleanUpDir, cleanUpDirSync } from './dir-leftovers.js';
import { requireBinary, requireRoot } from './host-prereqs.js';
import { onEmergencyCleanup } from './process-registry.js';
import { makeTempDir } from './temp-dir.js';
import type { TempDir } from './temp-dir.js';

/** A containerd daemon of the test's own, with its root, state and socket in one temp dir. */
export interface ContainerdInstance {
  /** Path of the gRPC unix socket, for `ctr -a` and containerd clients. */
  readonly address: string;
  /** The namespace tests should use; containerd itself serves any. */
  readonly namespace: string;
  /** The temp dir holding everything below. */
  readonly dir: string;
  readonly root: string;
  readonly state: string;
  /**
   * A runc state dir inside `dir`, for `ctr run --runc-root`. Without it runc keeps container state in
   * /run/containerd/runc/<namespace>/<id>, shared by every containerd on the host, so two instances
   * running a container of the same id and namespace would collide.
   */
  readonly runcRoot: string;
  readonly pid: number;
  /** Kills and deletes every task (running container) in the given namespaces, or in all of them. */
  removeTasks(namespaces?: readonly string[]): Promise<void>;
  /** Stops the daemon and its containers and deletes its dir, leaving nothing behind; safe to call again. */
  stop(): Promise<void>;
  /** Everything the daemon wrote to stdout and stderr. */
  logs(): string;
}

/** Knobs for startContainerd. */
export interface ContainerdOptions {
  /** Default 'k8s.io', the namespace kubelet's images live in. */
  readonly namespace?: string;
  /** Default 20 s. */
  readonly readyTimeoutMs?: number;
  /** How long SIGTERM may take before SIGKILL; default 10 s. */
  readonly stopTimeoutMs?: number;
  /** Default 'info'. */
  readonly logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /** Temp dir name prefix, to tell instances apart in `ps`; default 'airlift-ctrd'. */
  readonly dirPrefix?: string;
  /**
   * Directory to create the instance dir (root, state, socket) in; default /tmp. Benchmarks pass a
   * tmpfs mount so imports are not measured against the shared disk. Keep it short: the socket path
   * must stay under 108 bytes.
   */
  readonly parentDir?: string;
  /**
   * The GC scheduler's pause_threshold (containerd's default 0.02). An empty store collects in a fraction
   * of a millisecond and the scheduler checks again after mean GC time / pause_threshold, so an idle
   * daemon wakes about 100 times a second (1.5–2 % of a core here). Benchmarks that run 16 daemons on one
   * machine pass 0.001: a check every few hundred ms, collections still triggered by deletions at once.
   */
  readonly gcPauseThreshold?: number;
}

const CTR_TIMEOUT_MS = 5_000;

/** Starts containerd in a fresh temp dir and resolves once `ctr version` answers on its socket. */
export async function startContainerd(options: ContainerdOptions = {}): Promise<ContainerdInstance> {
  requireRoot('startContainerd');
  const containerdBin = requireBinary('containerd');
  const ctrBin = requireBinary('ctr');
  // Not needed to start, but every container or image unpack test would fail later and less clearly.
  requireBinary('runc');

  const prefix = options.dirPrefix ?? 'airlift-ctrd';
  const temp = options.parentDir === undefined ? makeTempDir(prefix) : tempDirIn(options.parentDir, prefix);
  const dir = temp.path;
  const root = join(dir, 'root');
  const state = join(dir, 'state');
  const address = join(dir, 'containerd.sock');
  const configFile = join(dir, 'config.toml');
  mkdirSync(root);
  mkdirSync(state);
  writeFileSync(
    configFile,
    containerdConfig({ dir, root, state, address, gcPauseThreshold: options.gcPauseThreshold }),
  );
  // Registered before the spawn so an exit at any later point still unmounts and deletes.
  const forgetDir = onEmergencyCleanup(() => {
    const sockets = shimSockets(state);
    cleanUpDirSync(dir);
    removeSockets(sockets);
  });

  const abandon = async (): Promise<void> => {
    const sockets = shimSockets(state);
    await cleanUpDir(dir);
    removeSockets(sockets);
    forgetDir();
    await temp.remove();
  };

  let daemon: DaemonProcess;
  try {
    daemon = spawnDaemon({
      name: `containerd[${dir}]`,
      command: containerdBin,
      args: ['--config', configFile, '--log-level', options.logLevel ?? 'info'],
      logFile: join(dir, 'containerd.log'),
    });
  } catch (error) {
    await abandon();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        // Containers outlive containerd (their shims are separate processes), so end them while
        // containerd can still do it cleanly; cleanUpDir kills whatever this misses.
        if (!daemon.hasExited()) await removeTasks(ctrBin, address);
        await daemon.stop(options.stopTimeoutMs ?? 10_000);
      } finally {
        daemon.logs();
        await abandon();
      }
    })();
    return stopping;
  };

  try {
    await waitUntilReady(daemon, {
      waitingFor: '`ctr version` to succeed',
      timeoutMs: options.readyTimeoutMs ?? 20_000,
      intervalMs: 200,
      check: async () => {
        if (!existsSync(address)) return false;
        const result = await execa(ctrBin, ['-a', address, 'version'], {
          timeout: CTR_TIMEOUT_MS,
          reject: false,
        });
        return result.exitCode === 0;
      },
    });
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }

  return {
    address,
    namespace: options.namespace ?? 'k8s.io',
    dir,
    root,
    state,
    runcRoot: join(dir, 'runc'),
    pid: daemon.pid,
    removeTasks: (namespaces) => removeTasks(ctrBin, address, namespaces),
    stop,
    logs: () => daemon.logs(),
  };
}

// makeTempDir's contract in a directory of the caller's choosing.
function tempDirIn(parent: string, prefix: string): TempDir {
  const path = realpathSync(mkdtempSync(join(parent, `${prefix}-`)));
  const forget = onEmergencyCleanup(() => {
    rmSync(path, { recursive: true, force: true });
  });
  return {
    path,
    async remove() {
      forget();
      await rm(path, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

// Best effort and bounded: this runs on the way to stopping a daemon that may be failing already.
async function removeTasks(ctrBin: string, address: string, only?: readonly string[]): Promise<void> {
  const ctr = (...args: string[]) =>
    execa(ctrBin, ['-a', address, ...args], { timeout: CTR_TIMEOUT_MS, reject: false });
  const lines = (text: string): string[] => text.split('\n').filter((line) => line.trim() !== '');
  const listed = await ctr('namespaces', 'ls', '-q');
  if (listed.exitCode !== 0) return;
  const namespaces = lines(listed.stdout).filter((namespace) => only?.includes(namespace) ?? true);
  for (const namespace of namespaces) {
    const tasks = await ctr('-n', namespace, 'tasks', 'ls', '-q');
    for (const id of lines(tasks.stdout)) await ctr('-n', namespace, 'tasks', 'rm', '-f', id);
  }
}

// Each runc v2 shim listens on /run/containerd/s/<hash>, outside our dir whatever the config says, and
// records that address in its task bundle. A shim that exits normally removes its socket; a killed one
// cannot, so read the addresses while the bundles still exist.
function shimSockets(state: string): string[] {
  const tasks = join(state, 'io.containerd.runtime.v2.task');
  const sockets: string[] = [];
  try {
    for (const namespace of readdirSync(tasks)) {
      for (const id of readdirSync(join(tasks, namespace))) {
        const address = readFileIfPresent(join(tasks, namespace, id, 'address'));
        if (address?.startsWith('unix://')) sockets.push(address.trim().slice('unix://'.length));
      }
    }
  } catch {
    // No task was ever started.
  }
  return sockets;
}

function removeSockets(paths: readonly string[]): void {
  for (const path of paths) rmSync(path, { force: true });
}

function readFileIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

interface ConfigPaths {
  readonly dir: string;
  readonly root: string;
  readonly state: string;
  readonly address: string;
  readonly gcPauseThreshold: number | undefined;
}

function containerdConfig({ dir, root, state, address, gcPauseThreshold }: ConfigPaths): string {
  // JSON string syntax is valid TOML basic-string syntax for any path.
  const q = (value: string): string => JSON.stringify(value);
  // cri would want CNI and a kubelet; tracing and the other snapshotters need hosts we do not have. The
  // opt plugin otherwise creates /opt/containerd on the host. Debug and metrics endpoints would be one
  // more socket per instance that nobody reads.
  return [
    'version = 2',
    `root = ${q(root)}`,
    `state = ${q(state)}`,
    'disabled_plugins = [',
    '  "io.containerd.grpc.v1.cri",',
    '  "io.containerd.internal.v1.tracing",',
    '  "io.containerd.snapshotter.v1.aufs",',
    '  "io.containerd.snapshotter.v1.btrfs",',
    '  "io.containerd.snapshotter.v1.zfs",',
    '  "io.containerd.snapshotter.v1.devmapper",',
    ']',
    '[grpc]',
    `  address = ${q(address)}`,
    '[ttrpc]',
    `  address = ${q(`${address}.ttrpc`)}`,
    '[debug]',
    '  address = ""',
    '[metrics]',
    '  address = ""',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${q(join(dir, 'opt'))}`,
    ...(gcPauseThreshold === undefined
      ? []
      : ['[plugins."io.containerd.gc.v1.scheduler"]', `  pause_threshold = ${gcPauseThreshold}`]),
    '',
  ].join('\n');
}
