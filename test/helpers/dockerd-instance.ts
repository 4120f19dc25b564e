import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { startContainerd } from './containerd-instance.js';
import type { ContainerdInstance } from './containerd-instance.js';
import { spawnDaemon, waitUntilReady } from './daemon-process.js';
import type { DaemonProcess } from './daemon-process.js';
import { cleanUpDir, cleanUpDirSync } from './dir-leftovers.js';
import { requireBinary, requireRoot } from './host-prereqs.js';
import { onEmergencyCleanup } from './process-registry.js';
import { makeTempDir } from './temp-dir.js';

/** A Docker engine of the test's own, on its own socket, data root and containerd. */
export interface DockerdInstance {
  /** Path of the API unix socket, for dockerode's socketPath. */
  readonly socketPath: string;
  /** The same socket as a DOCKER_HOST value: unix://… */
  readonly host: string;
  /** The temp dir holding data root, exec root, socket and log. */
  readonly dir: string;
  readonly dataRoot: string;
  /** The containerd this dockerd runs containers with (in containerd namespace 'moby'). */
  readonly containerd: ContainerdInstance;
  readonly pid: number;
  /** Stops dockerd (and the containerd it started for itself) leaving nothing behind; safe to call again. */
  stop(): Promise<void>;
  /** Everything dockerd wrote to stdout and stderr. */
  logs(): string;
}

/** Knobs for startDockerd. */
export interface DockerdOptions {
  /**
   * Run on this containerd instead of a fresh one, e.g. to model a node where docker and kubelet share
   * one containerd. The caller keeps ownership: stop() leaves it running.
   */
  readonly containerd?: ContainerdInstance;
  /**
   * Extra daemon.json settings, e.g. { 'insecure-registries': ['127.0.0.1:5000'] }. Must not repeat a
   * setting startDockerd passes as a flag (dockerd refuses to start when both name one).
   */
  readonly daemonConfig?: Readonly<Record<string, unknown>>;
  /** Default 30 s. */
  readonly readyTimeoutMs?: number;
  /** How long SIGTERM may take before SIGKILL; default 20 s (dockerd gives containers 15 s). */
  readonly stopTimeoutMs?: number;
  /** Temp dir name prefix, to tell instances apart in `ps`; default 'airlift-dockerd'. */
  readonly dirPrefix?: string;
}

const PING_TIMEOUT_MS = 2_000;
// The containerd namespaces dockerd 20.10 keeps its containers and its plugins in.
const DOCKER_NAMESPACES = ['moby', 'plugins.moby'];

/** Starts dockerd in a fresh temp dir and resolves once GET /_ping answers OK on its socket. */
export async function startDockerd(options: DockerdOptions = {}): Promise<DockerdInstance> {
  requireRoot('startDockerd');
  const dockerdBin = requireBinary('dockerd');
  requireBinary('runc');

  // Always an explicit --containerd: without one, dockerd 20.10 checks whether /run/containerd/
  // containerd.sock exists and, if it does, silently runs on the system containerd instead of
  // starting its own. Our own instance also makes dockerd's containerd a process we track and kill.
  const ownContainerd = options.containerd === undefined;
  const containerd = options.containerd ?? (await startContainerd({ dirPrefix: 'airlift-dkctrd' }));

  const temp = makeTempDir(options.dirPrefix ?? 'airlift-dockerd');
  const dir = temp.path;
  const dataRoot = join(dir, 'root');
  const socketPath = join(dir, 'docker.sock');
  const configFile = join(dir, 'daemon.json');
  // Our own config file so /etc/docker/daemon.json never applies; the trust key would otherwise be
  // created in /etc/docker/key.json, shared by every dockerd on the host.
  const daemonConfig = { 'deprecated-key-path': join(dir, 'key.json'), ...options.daemonConfig };
  writeFileSync(configFile, `${JSON.stringify(daemonConfig, null, 2)}\n`);
  const forgetDir = onEmergencyCleanup(() => {
    cleanUpDirSync(dir);
  });

  const abandon = async (): Promise<void> => {
    try {
      // A dockerd that died leaves its containers running in containerd. Deleting those tasks makes
      // runc write under this dir's exec root, so it must happen before the dir is cleaned, not after.
      await containerd.removeTasks(DOCKER_NAMESPACES);
      await cleanUpDir(dir);
      forgetDir();
      await temp.remove();
    } finally {
      if (ownContainerd) await containerd.stop();
    }
  };

  let daemon: DaemonProcess;
  try {
    daemon = spawnDaemon({
      name: `dockerd[${dir}]`,
      command: dockerdBin,
      args: [
        '--config-file',
        configFile,
        '--containerd',
        containerd.address,
        '--data-root',
        dataRoot,
        '--exec-root',
        join(dir, 'exec'),
        '--pidfile',
        join(dir, 'docker.pid'),
        '--host',
        `unix://${socketPath}`,
        // No host networking changes: tests share the machine and may run in parallel.
        '--iptables=false',
        '--ip6tables=false',
        '--bridge=none',
      ],
      logFile: join(dir, 'dockerd.log'),
    });
  } catch (error) {
    await abandon();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await daemon.stop(options.stopTimeoutMs ?? 20_000);
      } finally {
        daemon.logs();
        await abandon();
      }
    })();
    return stopping;
  };

  try {
    await waitUntilReady(daemon, {
      waitingFor: 'GET /_ping to answer OK',
      timeoutMs: options.readyTimeoutMs ?? 30_000,
      intervalMs: 200,
      check: () => pingOk(socketPath),
    });
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }

  return {
    socketPath,
    host: `unix://${socketPath}`,
    dir,
    dataRoot,
    containerd,
    pid: daemon.pid,
    stop,
    logs: () => daemon.logs(),
  };
}

function pingOk(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: PING_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve(res.statusCode === 200 && body === 'OK');
      });
      res.on('error', () => {
        resolve(false);
      });
    });
    req.on('timeout', () => {
      req.destroy();
    });
    req.on('error', () => {
      resolve(false);
    });
    req.end();
  });
}
