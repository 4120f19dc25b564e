import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import type { PeerCertificate } from 'node:tls';

import {
  credsAuthenticator,
  nkeyAuthenticator,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
} from '@nats-io/transport-node';
import type { Authenticator, NodeConnectionOptions } from '@nats-io/transport-node';

import { ConfigInvalidError } from '../errors/index.js';
import type { Secret } from '../reference/secret.js';

/** TLS files; paths are read by the client at each (re)connect. */
export interface BusTlsOptions {
  /** CA bundle that signed the server certificate; without it the system CAs are used. */
  readonly caFile?: string;
  /** The CA as PEM text (an identity file carries it), instead of caFile. */
  readonly ca?: string;
  /** Client certificate and key, for servers that verify clients. */
  readonly certFile?: string;
  readonly keyFile?: string;
}

/** How to reach and authenticate to NATS. At most one of user/password, token and credsFile. */
export interface BusConnectOptions {
  /** e.g. `nats://10.0.0.5:4222`, `tls://nats.example:4222`; tried in order. */
  readonly servers: readonly string[];
  /** Client name the server shows in its monitoring (e.g. `airlift-agent/node-1`); default `airlift`. */
  readonly name?: string;
  readonly user?: string;
  readonly password?: Secret;
  readonly token?: Secret;
  /** A NATS `.creds` file (user JWT and nkey seed), read once at connect. */
  readonly credsFile?: string;
  /** An nkey user seed (`SU…`), as an airlift identity carries it. */
  readonly nkeySeed?: Secret;
  /**
   * Prefix of this client's reply subjects. With per-identity permissions each identity may only
   * subscribe to its own inboxes, so no client reads another's replies.
   */
  readonly inboxPrefix?: string;
  readonly tls?: BusTlsOptions;
  /** Per attempt, for the TCP/TLS handshake and the server's first answer; default 5000. */
  readonly connectTimeoutMs?: number;
  /**
   * Keep trying when no server answers at first, instead of failing at once: for daemons (agents)
   * that may start before NATS does. connectBus then resolves only once connected. Default false.
   */
  readonly waitOnFirstConnect?: boolean;
  /** Stops a waitOnFirstConnect wait: connectBus then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Attempts per server once connected before giving up; -1 (default) retries forever. */
  readonly maxReconnectAttempts?: number;
  /** Pause between reconnect attempts to the same server; default 1000 (plus up to 100 ms jitter). */
  readonly reconnectTimeWaitMs?: number;
  /** How often the client pings the server to notice a dead peer; default 20000 (the client's own is 2 min). */
  readonly pingIntervalMs?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_RECONNECT_TIME_WAIT_MS = 1_000;
const DEFAULT_PING_INTERVAL_MS = 20_000;
const WHERE = 'NATS connection options';

type NodeTlsOptions = NonNullable<NodeConnectionOptions['tls']>;

/** The nats.js options for `options`, plus every secret value, so messages can be scrubbed of them. */
export interface NatsConnectSetup {
  readonly natsOptions: NodeConnectionOptions;
  readonly secrets: readonly string[];
  /** `servers` without credentials, for messages. */
  readonly displayServers: readonly string[];
}

/** Validates the options and turns them into nats.js connection options (reads the creds file). */
export async function natsConnectSetup(options: BusConnectOptions): Promise<NatsConnectSetup> {
  if (options.servers.length === 0)
    throw new ConfigInvalidError(WHERE, 'servers', 'give at least one server URL');
  const methods = [
    options.user !== undefined || options.password !== undefined,
    options.token !== undefined,
    options.credsFile !== undefined,
    options.nkeySeed !== undefined,
  ].filter(Boolean).length;
  if (methods > 1) {
    throw new ConfigInvalidError(
      WHERE,
      '',
      'use one of user/password, token, credsFile or an identity, not several',
    );
  }
  if ((options.user === undefined) !== (options.password === undefined)) {
    throw new ConfigInvalidError(
      WHERE,
      options.user === undefined ? 'user' : 'password',
      'user and password go together',
    );
  }

  const secrets: string[] = options.servers.map(urlPassword).filter((secret) => secret !== undefined);
  const authenticators: Authenticator[] = [];
  // Authenticators that reveal the secret only when the client sends CONNECT: the plain value never sits
  // in the client's options object, which nats.js keeps and a debug dump could print.
  if (options.user !== undefined && options.password !== undefined) {
    const password = options.password;
    secrets.push(password.reveal());
    authenticators.push(usernamePasswordAuthenticator(options.user, () => password.reveal()));
  }
  if (options.token !== undefined) {
    const token = options.token;
    secrets.push(token.reveal());
    authenticators.push(tokenAuthenticator(() => token.reveal()));
  }
  if (options.credsFile !== undefined) {
    const creds = await readCredsFile(options.credsFile);
    authenticators.push(credsAuthenticator(creds));
  }
  if (options.nkeySeed !== undefined) {
    const seed = options.nkeySeed;
    secrets.push(seed.reveal());
    authenticators.push(nkeyAuthenticator(() => new TextEncoder().encode(seed.reveal())));
  }

  const natsOptions: NodeConnectionOptions = {
    servers: [...options.servers],
    name: options.name ?? 'airlift',
    timeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    waitOnFirstConnect: options.waitOnFirstConnect ?? false,
    maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? DEFAULT_RECONNECT_TIME_WAIT_MS,
    pingInterval: options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS,
    // Our own messages go to the logger; the client's async stack traces only cost time per request.
    noAsyncTraces: true,
  };
  if (authenticators.length > 0) natsOptions.authenticator = authenticators;
  if (options.inboxPrefix !== undefined) natsOptions.inboxPrefix = options.inboxPrefix;
  if (options.tls !== undefined) natsOptions.tls = tlsOptions(options.tls, options.servers);
  return {
    natsOptions,
    secrets: secrets.filter((secret) => secret !== ''),
    displayServers: options.servers.map(redactServerUrl),
  };
}

/** A server URL with any `user:password@` part removed. */
export function redactServerUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//');
}

async function readCredsFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new ConfigInvalidError(path, '', 'the NATS creds file cannot be read', error);
  }
}

function tlsOptions(tls: BusTlsOptions, servers: readonly string[]): NodeTlsOptions {
  const result: NodeTlsOptions & { checkServerIdentity?: typeof checkServerIdentity } = {};
  if (tls.caFile !== undefined) result.caFile = tls.caFile;
  if (tls.ca !== undefined) result.ca = tls.ca;
  if (tls.certFile !== undefined) result.certFile = tls.certFile;
  if (tls.keyFile !== undefined) result.keyFile = tls.keyFile;
  // nats.js 3.3 dials an IP address without a TLS server name, so Node checks the certificate against
  // "localhost" (nats-io/nats.js#303). Air-gapped clusters often address NATS by IP: also accept a
  // certificate valid for one of the IP addresses we were told to use. nats.js passes unknown tls
  // options through to tls.connect.
  const ips = servers.map(hostOf).filter((host): host is string => host !== undefined && isIP(host) !== 0);
  if (ips.length > 0) {
    result.checkServerIdentity = (host: string, cert: PeerCertificate) => {
      const problem = checkServerIdentity(host, cert);
      if (problem === undefined) return undefined;
      return ips.some((ip) => checkServerIdentity(ip, cert) === undefined) ? undefined : problem;
    };
  }
  return result;
}

function hostOf(server: string): string | undefined {
  return parseServer(server)?.hostname.replace(/^\[(.*)\]$/, '$1');
}

function urlPassword(server: string): string | undefined {
  const password = parseServer(server)?.password;
  return password === undefined || password === '' ? undefined : decodeURIComponent(password);
}

function parseServer(server: string): URL | undefined {
  try {
    return new URL(server.includes('://') ? server : `nats://${server}`);
  } catch {
    return undefined;
  }
}
