import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { jetstreamManager } from '@nats-io/jetstream';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import type { NodeConnectionOptions } from '@nats-io/transport-node';

import { spawnDaemon, waitUntilReady } from './daemon-process.js';
import { makeLoopbackCertificate } from './loopback-certificate.js';
import type { DaemonProcess } from './daemon-process.js';
import { requireBinary } from './host-prereqs.js';
import { makeTempDir } from './temp-dir.js';

/** Files of the throwaway CA and server certificate of a TLS instance. */
export interface NatsTlsFiles {
  /** The CA that signed the server certificate: what a client passes as `caFile`. */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** A nats-server of the test's own, on its own port, with its JetStream store in a temp dir. */
export interface NatsInstance {
  /** `nats://127.0.0.1:PORT` (`tls://…` with TLS); never carries credentials. */
  readonly url: string;
  readonly port: number;
  /** The temp dir holding the config, the log and the JetStream store. */
  readonly dir: string;
  /** Set when started with `tls: true`. */
  readonly tls: NatsTlsFiles | undefined;
  /** Pid of the server process running now (it changes on restart). */
  pid(): number;
  /** Stops the server and deletes its dir; safe to call more than once. */
  stop(): Promise<void>;
  /**
   * Stops the server and starts it again on the same port with the same store, as an outage that
   * clients must ride out. `downtimeMs` keeps it down that long between the two.
   */
  restart(options?: { downtimeMs?: number }): Promise<void>;
  /** Everything the server wrote so far, across restarts; still readable after stop(). */
  logs(): string;
}

/** Knobs for startNats. */
export interface NatsOptions {
  /** Default: a free port the server picks itself. */
  readonly port?: number;
  /** Default true. */
  readonly jetstream?: boolean;
  /** Require this user and password (both or neither). */
  readonly user?: string;
  readonly password?: string;
  /** Require this token (not together with user/password). */
  readonly token?: string;
  /** Serve TLS only, with a certificate for 127.0.0.1 signed by a throwaway CA. */
  readonly tls?: boolean;
  /** Default 10 s. */
  readonly readyTimeoutMs?: number;
  /**
   * Run nats-server with this config file as it is (e.g. a generated fleet's nats-server.conf) instead
   * of one of our own; port, user, password, token and tls are then ignored. The config's `listen` should
   * use port -1: the port is read from the ports file.
   */
  readonly configFile?: string;
  /** With configFile: how the readiness probe authenticates (an nkey user seed) and the CA PEM it trusts. */
  readonly probe?: NatsProbeCredentials;
  /** How long SIGTERM may take before SIGKILL; default 5 s. */
  readonly stopTimeoutMs?: number;
}

/** An nkey user seed (`SU…`) and the CA PEM of a TLS-only server started from a config file. */
export interface NatsProbeCredentials {
  readonly seed: string;
  readonly ca: string;
}

const PROBE_TIMEOUT_MS = 1_000;

/** Starts nats-server in a fresh temp dir and resolves once a client can connect (and use JetStream). */
export async function startNats(options: NatsOptions = {}): Promise<NatsInstance> {
  if ((options.user === undefined) !== (options.password === undefined)) {
    throw new Error('startNats: give both user and password, or neither');
  }
  if (options.token !== undefined && options.user !== undefined) {
    throw new Error('startNats: token and user/password are exclusive');
  }
  const external = options.configFile;
  if (external !== undefined && options.probe === undefined) {
    throw new Error(
      'startNats: a configFile needs probe credentials (its server admits no anonymous client)',
    );
  }
  const serverBin = requireBinary('nats-server');
  const temp = makeTempDir('airlift-nats');
  const dir = temp.path;
  const logFile = join(dir, 'nats-server.log');
  const jetstream = options.jetstream ?? true;
  let daemon: DaemonProcess | undefined;
  let lastLogs = '';
  const logs = (): string => {
    if (existsSync(logFile)) lastLogs = readFileSync(logFile, 'utf8');
    return lastLogs;
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await daemon?.stop(options.stopTimeoutMs ?? 5_000);
      } finally {
        logs();
        await temp.remove();
      }
    })();
    return stopping;
  };

  try {
    const tls = options.tls === true ? await makeLoopbackCertificate(dir) : undefined;
    const scheme = tls === undefined && external === undefined ? 'nats' : 'tls';
    const configFile = join(dir, 'nats-server.conf');
    const writeConfig = (port: number): void => {
      writeFileSync(configFile, serverConfig({ ...options, dir, port, jetstream, tlsFiles: tls }));
    };
    const launch = async (port: number): Promise<number> => {
      // A given config is used as it is: command-line flags override it (the port, on restart).
      const args =
        external === undefined
          ? ['-c', configFile]
          : ['-c', external, '--ports_file_dir', dir, ...(port === 0 ? [] : ['-p', String(port)])];
      if (external === undefined) writeConfig(port);
      const started = spawnDaemon({ name: `nats-server[${dir}]`, command: serverBin, args, logFile });
      daemon = started;
      let actualPort = port;
      await waitUntilReady(started, {
        waitingFor: jetstream ? 'a client to connect and JetStream to answer' : 'a client to connect',
        timeoutMs: options.readyTimeoutMs ?? 10_000,
        intervalMs: 100,
        check: async () => {
          if (actualPort === 0) actualPort = readPortsFile(dir, started.pid) ?? 0;
          if (actualPort === 0) return false;
          const url = `${scheme}://127.0.0.1:${actualPort}`;
          return options.probe === undefined || external === undefined
            ? probe(url, options, tls, jetstream)
            : probeWithSeed(url, options.probe, jetstream);
        },
      });
      return actualPort;
    };

    const port = await launch(options.port ?? 0);
    let restarting: Promise<void> | undefined;
    return {
      url: `${scheme}://127.0.0.1:${port}`,
      port,
      dir,
      tls,
      pid: () => daemon?.pid ?? 0,
      stop,
      async restart(restartOptions = {}) {
        if (stopping !== undefined) throw new Error(`nats-server[${dir}] was stopped; it cannot restart`);
        if (restarting !== undefined) throw new Error(`nats-server[${dir}] is already restarting`);
        restarting = (async () => {
          await daemon?.stop(options.stopTimeoutMs ?? 5_000);
          if (restartOptions.downtimeMs !== undefined) await sleep(restartOptions.downtimeMs);
          // The port is fixed from now on: clients reconnect to the address they know.
          await launch(port);
        })();
        try {
          await restarting;
        } finally {
          restarting = undefined;
        }
      },
      logs,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

// nats-server writes <executable>_<pid>.ports once it listens: {"nats":["nats://127.0.0.1:PORT"],…}.
function readPortsFile(dir: string, pid: number): number | undefined {
  const name = readdirSync(dir).find((file) => file.endsWith(`_${pid}.ports`));
  if (name === undefined) return undefined;
  try {
    const ports = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { nats?: string[] };
    const url = ports.nats?.[0];
    return url === undefined ? undefined : Number(new URL(url).port);
  } catch {
    // Written but not complete yet.
    return undefined;
  }
}

async function probe(
  url: string,
  options: NatsOptions,
  tls: NatsTlsFiles | undefined,
  jetstream: boolean,
): Promise<boolean> {
  const connectOptions: NodeConnectionOptions = {
    servers: [url],
    name: 'airlift-test-probe',
    timeout: PROBE_TIMEOUT_MS,
    reconnect: false,
  };
  if (options.user !== undefined) connectOptions.user = options.user;
  if (options.password !== undefined) connectOptions.pass = options.password;
  if (options.token !== undefined) connectOptions.token = options.token;
  if (tls !== undefined) {
    // nats.js checks a certificate served at an IP address against "localhost" (nats-io/nats.js#303);
    // the probe only asks whether the server is up, so it skips the name check but keeps the CA check.
    const probeTls: NonNullable<NodeConnectionOptions['tls']> & { checkServerIdentity: () => undefined } = {
      caFile: tls.caFile,
      checkServerIdentity: () => undefined,
    };
    connectOptions.tls = probeTls;
  }
  return tryConnect(connectOptions, jetstream);
}

async function tryConnect(connectOptions: NodeConnectionOptions, jetstream: boolean): Promise<boolean> {
  try {
    const nc = await connect(connectOptions);
    try {
      await nc.flush();
      // JetStream starts after the client port listens; KV calls before it is up fail with 503.
      if (jetstream) await (await jetstreamManager(nc, { timeout: PROBE_TIMEOUT_MS })).getAccountInfo();
      return true;
    } finally {
      await nc.close();
    }
  } catch {
    return false;
  }
}

async function probeWithSeed(
  url: string,
  credentials: NatsProbeCredentials,
  jetstream: boolean,
): Promise<boolean> {
  return tryConnect(
    {
      servers: [url],
      name: 'airlift-test-probe',
      timeout: PROBE_TIMEOUT_MS,
      reconnect: false,
      authenticator: nkeyAuthenticator(new TextEncoder().encode(credentials.seed)),
      tls: { ca: credentials.ca },
    },
    jetstream,
  );
}

interface ConfigInput extends Pick<NatsOptions, 'user' | 'password' | 'token'> {
  readonly dir: string;
  readonly port: number;
  readonly jetstream: boolean;
  readonly tlsFiles: NatsTlsFiles | undefined;
}

function serverConfig(input: ConfigInput): string {
  // JSON string syntax is valid in the NATS config format, and quoting keeps `$` from meaning a variable.
  const q = (value: string): string => JSON.stringify(value);
  const lines = [
    // Port -1: the server picks a free one and reports it in the ports file, so parallel tests never race.
    `listen: ${q(`127.0.0.1:${input.port === 0 ? -1 : input.port}`)}`,
    `ports_file_dir: ${q(input.dir)}`,
    `server_name: ${q('airlift-test')}`,
  ];
  if (input.jetstream) {
    const store = join(input.dir, 'js');
    mkdirSync(store, { recursive: true });
    lines.push(`jetstream { store_dir: ${q(store)}, max_memory_store: 256MB, max_file_store: 1GB }`);
  }
  if (input.user !== undefined && input.password !== undefined) {
    lines.push(`authorization { user: ${q(input.user)}, password: ${q(input.password)} }`);
  }
  if (input.token !== undefined) lines.push(`authorization { token: ${q(input.token)} }`);
  if (input.tlsFiles !== undefined) {
    const { certFile, keyFile } = input.tlsFiles;
    lines.push(`tls { cert_file: ${q(certFile)}, key_file: ${q(keyFile)}, timeout: 2 }`);
  }
  return `${lines.join('\n')}\n`;
}
