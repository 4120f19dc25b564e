import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nkeyAuthenticator, type NodeConnectionOptions } from '@nats-io/transport-node';
import {
  fleetPaths,
  initFleet,
  type FleetInitOptions,
  type FleetPaths,
  type IdentityFile,
} from '../../coordinator/fleet-setup/index.js';
import { startNats, type NatsInstance, type NatsOptions } from './nats-instance.js';

/** The client URL written into identity files before the server's real port is known. */
export const PLACEHOLDER_NATS_URL = 'tls://127.0.0.1:0';

/** A generated fleet dir whose nats-server.conf listens on 127.0.0.1:-1 with its store inside the dir. */
export interface TestFleet {
  readonly fleet: string;
  readonly paths: FleetPaths;
  /** Path of coordinator.json. */
  readonly coordinatorFile: string;
  /** Path of nodes/<node>.json by node name. */
  readonly nodeFiles: Readonly<Record<string, string>>;
  /** The identity file of a node (also one added later with addNode), or the coordinator's for `'coordinator'`. */
  identity(name: string): IdentityFile;
  /** nats.js options connecting as `name` (a node or `'coordinator'`) to `url`: nkey, inbox prefix, fleet CA. */
  connectOptions(name: string, url: string): NodeConnectionOptions;
  /** Starts nats-server with the fleet's config, probed as the coordinator; the caller stops it. */
  startNats(options?: Omit<NatsOptions, 'configFile' | 'probe'>): Promise<NatsInstance>;
  /** Rewrites every identity file's `nats.urls` to `[url]`, for code that reads the files itself. */
  pointAt(url: string): Promise<void>;
}

/** Runs the fleet-setup library (not the CLI) into `dir` for nodes `nodeNames`. */
export async function makeTestFleet(
  dir: string,
  nodeNames: readonly string[],
  options: Pick<FleetInitOptions, 'fleetId' | 'natsHosts'> = {},
): Promise<TestFleet> {
  await initFleet({ ...options, ...TEST_FLEET_INIT(dir), dir, nodes: nodeNames });
  return openTestFleet(dir, nodeNames);
}

/** Where a test fleet's nats-server listens and keeps its store, and the URL written before the port is known. */
export function TEST_FLEET_INIT(dir: string): {
  natsListen: string;
  natsStoreDir: string;
  natsUrls: string[];
} {
  return {
    natsListen: '127.0.0.1:-1',
    natsStoreDir: join(dir, 'jetstream'),
    natsUrls: [PLACEHOLDER_NATS_URL],
  };
}

/** A fleet dir made earlier (by makeTestFleet, or by `airlift fleet init` with TEST_FLEET_INIT's settings). */
export async function openTestFleet(dir: string, nodeNames: readonly string[]): Promise<TestFleet> {
  const roster = JSON.parse(await readFile(fleetPaths(dir).roster, 'utf8')) as { fleet: string };
  const result = { fleet: roster.fleet, paths: fleetPaths(dir) };
  const { paths } = result;
  const nodeFiles = Object.fromEntries(nodeNames.map((name) => [name, paths.node(name)]));
  const fileOf = (name: string): string => {
    // Nodes added later (addNode) are found by their path.
    const file = name === 'coordinator' ? paths.coordinator : (nodeFiles[name] ?? paths.node(name));
    if (!existsSync(file)) throw new Error(`makeTestFleet: no identity named ${name}`);
    return file;
  };
  const identity = (name: string): IdentityFile =>
    JSON.parse(readFileSync(fileOf(name), 'utf8')) as IdentityFile;
  const connectOptions = (name: string, url: string): NodeConnectionOptions => {
    const id = identity(name);
    return {
      servers: [url],
      name: `test-${name}`,
      authenticator: nkeyAuthenticator(new TextEncoder().encode(id.nats.seed)),
      inboxPrefix: id.nats.inboxPrefix,
      tls: { ca: id.tls.ca },
    };
  };
  return {
    fleet: result.fleet,
    paths,
    coordinatorFile: paths.coordinator,
    nodeFiles,
    identity,
    connectOptions,
    async startNats(natsOptions = {}) {
      const coordinator = identity('coordinator');
      return startNats({
        ...natsOptions,
        configFile: paths.natsConf,
        probe: { seed: coordinator.nats.seed, ca: coordinator.tls.ca },
      });
    },
    async pointAt(url) {
      for (const name of ['coordinator', ...nodeNames]) {
        const id = identity(name);
        const next = { ...id, nats: { ...id.nats, urls: [url] } };
        await writeFile(fileOf(name), `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
      }
    },
  };
}
