import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { COORDINATOR_NAME } from '../../shared/control/subjects.js';
import { ConfigInvalidError } from '../../shared/errors/index.js';
import { ensurePrivateDir, fleetPaths, writeFileAtomic, type FleetPaths } from './fleet-files.js';
import { checkListen, checkNatsUrl, checkNodeNames } from './fleet-validation.js';
import { coordinatorTrust, newIdentity, renderIdentity, type NewIdentity } from './identity-file.js';
import { renderNatsConfig } from './nats-config.js';
import { createFleetCa, issueCertificate } from './pki.js';
import { renderRoster, type PublicIdentity, type Roster } from './roster.js';

/** What `airlift fleet init` is asked for. */
export interface FleetInitOptions {
  readonly dir: string;
  readonly nodes: readonly string[];
  /** What clients dial; default `tls://<this host's name>:<listen port>`. */
  readonly natsUrls?: readonly string[];
  /** Where nats-server listens; default `0.0.0.0:4222`. */
  readonly natsListen?: string;
  /** JetStream store; default `/var/lib/nats/jetstream`. */
  readonly natsStoreDir?: string;
  /** Extra host names / addresses for the NATS server certificate. */
  readonly natsHosts?: readonly string[];
  /** Replace the fleet (every key) in a dir that already holds files. */
  readonly force?: boolean;
  /** Default: a random `fleet-<hex>`. */
  readonly fleetId?: string;
}

/** What a fleet command wrote. */
export interface FleetWriteResult {
  readonly fleet: string;
  readonly paths: FleetPaths;
  /** Absolute paths written, in order. */
  readonly written: readonly string[];
  /** Absolute paths deleted. */
  readonly removed: readonly string[];
  readonly nodes: readonly string[];
}

export const DEFAULT_NATS_LISTEN = '0.0.0.0:4222';
export const DEFAULT_NATS_STORE_DIR = '/var/lib/nats/jetstream';

/** Generates a whole fleet: CA, coordinator and node identities, NATS server certificate and config, roster. */
export async function initFleet(options: FleetInitOptions): Promise<FleetWriteResult> {
  checkNodeNames(options.nodes);
  const listen = options.natsListen ?? DEFAULT_NATS_LISTEN;
  const { host: listenHost, port } = checkListen(listen);
  const urls = options.natsUrls?.length ? [...options.natsUrls] : [`tls://${hostname()}:${port}`];
  const urlHosts = urls.map((url) => checkNatsUrl(url).hostname.replace(/^\[(.*)\]$/, '$1'));
  const paths = fleetPaths(options.dir);
  const removed = await prepareDir(paths, options.force === true);

  const fleet = options.fleetId ?? `fleet-${randomBytes(6).toString('hex')}`;
  const ca = await createFleetCa(fleet);
  const base = { fleet, natsUrls: urls, ca };
  const coordinator = await newIdentity({
    ...base,
    role: 'coordinator',
    name: COORDINATOR_NAME,
    trust: { nodes: {} },
  });
  const nodes = new Map<string, NewIdentity>();
  for (const name of options.nodes) {
    const trust = { coordinatorKey: coordinator.public.signingKey };
    nodes.set(name, await newIdentity({ ...base, role: 'agent', name, trust }));
  }
  const hosts = serverHosts([listenHost, ...urlHosts, ...(options.natsHosts ?? [])]);
  const server = await issueCertificate(ca, { role: 'server', name: urlHosts[0] ?? 'nats', hosts });
  const roster: Roster = {
    v: 1,
    fleet,
    createdAt: new Date().toISOString(),
    nats: { urls, listen, storeDir: options.natsStoreDir ?? DEFAULT_NATS_STORE_DIR, hosts },
    coordinator: coordinator.public,
    nodes: Object.fromEntries([...nodes].map(([name, id]): [string, PublicIdentity] => [name, id.public])),
  };

  await ensurePrivateDir(paths.nodesDir);
  await ensurePrivateDir(paths.natsDir);
  const written: string[] = [];
  const write = async (path: string, content: string): Promise<void> => {
    await writeFileAtomic(path, content);
    written.push(path);
  };
  await write(paths.caCert, ca.certPem);
  await write(paths.caKey, ca.keyPem);
  for (const [name, id] of nodes) await write(paths.node(name), renderIdentity(id.file));
  await write(
    paths.coordinator,
    renderIdentity({ ...coordinator.file, trust: coordinatorTrust(roster.nodes) }),
  );
  await write(paths.serverCert, server.certPem);
  await write(paths.serverKey, server.keyPem);
  await write(paths.natsConf, renderNatsConfig(roster, paths));
  // The roster last: a fleet dir with fleet.json is a complete one.
  await write(paths.roster, renderRoster(roster));
  return { fleet, paths, written, removed, nodes: [...nodes.keys()] };
}

// An existing fleet is never replaced by accident: its CA signed every node's certificate.
async function prepareDir(paths: FleetPaths, force: boolean): Promise<string[]> {
  const entries = await readdir(paths.dir).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ConfigInvalidError(paths.dir, '--dir', 'cannot read the fleet dir', err);
  });
  if (entries.length > 0 && !force) {
    throw new ConfigInvalidError(
      paths.dir,
      '--dir',
      'already holds files (an existing fleet?); use add-node/remove-node, or --force to replace every key',
    );
  }
  await ensurePrivateDir(paths.dir);
  // Node files of the replaced fleet would carry keys nothing trusts any more.
  const stale = (await readdir(paths.nodesDir).catch(() => [])).filter((f) => f.endsWith('.json'));
  const removed = stale.map((file) => `${paths.nodesDir}/${file}`);
  await Promise.all(removed.map((path) => rm(path, { force: true })));
  return removed;
}

// Clients on this host dial localhost or 127.0.0.1; a wildcard listen address names no host.
function serverHosts(candidates: readonly string[]): string[] {
  const wildcard = new Set(['0.0.0.0', '::', '']);
  return [...new Set(['localhost', '127.0.0.1', ...candidates.filter((h) => !wildcard.has(h))])];
}
