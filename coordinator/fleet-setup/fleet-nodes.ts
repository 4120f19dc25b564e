import { readFile, rm } from 'node:fs/promises';
import { ConfigInvalidError } from '../../shared/errors/index.js';
import { fleetPaths, writeFileAtomic, type FleetPaths } from './fleet-files.js';
import type { FleetWriteResult } from './fleet-init.js';
import { checkNodeName } from './fleet-validation.js';
import { coordinatorTrust, newIdentity, renderIdentity, type IdentityFile } from './identity-file.js';
import { renderNatsConfig } from './nats-config.js';
import { readRoster, renderRoster, type Roster } from './roster.js';

/**
 * Issues one more node identity and rewrites coordinator.json's trust, nats-server.conf and fleet.json.
 * nats-server must then reload its config before the node can connect.
 */
export async function addNode(dir: string, name: string): Promise<FleetWriteResult> {
  const paths = fleetPaths(dir);
  const roster = await readRoster(paths.roster);
  checkNodeName(name, Object.keys(roster.nodes));
  const ca = { certPem: await readText(paths.caCert), keyPem: await readText(paths.caKey) };
  const identity = await newIdentity({
    fleet: roster.fleet,
    role: 'agent',
    name,
    natsUrls: roster.nats.urls,
    ca,
    trust: { coordinatorKey: roster.coordinator.signingKey },
  });
  const next: Roster = { ...roster, nodes: { ...roster.nodes, [name]: identity.public } };
  await writeFileAtomic(paths.node(name), renderIdentity(identity.file));
  const written = [paths.node(name), ...(await regenerate(paths, next))];
  return { fleet: roster.fleet, paths, written, removed: [], nodes: Object.keys(next.nodes).sort() };
}

/**
 * Drops a node: its nkey user leaves nats-server.conf (after a reload) and its signing key leaves the
 * coordinator's trust. Its certificate stays CA-signed until it expires; see the fleet setup docs.
 */
export async function removeNode(dir: string, name: string): Promise<FleetWriteResult> {
  const paths = fleetPaths(dir);
  const roster = await readRoster(paths.roster);
  if (!Object.hasOwn(roster.nodes, name)) {
    throw new ConfigInvalidError(
      paths.roster,
      'node',
      `${JSON.stringify(name)} is not in fleet ${roster.fleet}`,
    );
  }
  const nodes = Object.fromEntries(Object.entries(roster.nodes).filter(([node]) => node !== name));
  const written = await regenerate(paths, { ...roster, nodes });
  await rm(paths.node(name), { force: true });
  return {
    fleet: roster.fleet,
    paths,
    written,
    removed: [paths.node(name)],
    nodes: Object.keys(nodes).sort(),
  };
}

/** The fleet's roster (public keys and names only). */
export async function showFleet(dir: string): Promise<Roster> {
  return readRoster(fleetPaths(dir).roster);
}

// coordinator.json and the NATS conf follow the roster; the roster is written last, so a failure
// half-way leaves the old roster and the command can simply be run again.
async function regenerate(paths: FleetPaths, roster: Roster): Promise<string[]> {
  const coordinator = await readCoordinator(paths, roster.fleet);
  await writeFileAtomic(
    paths.coordinator,
    renderIdentity({ ...coordinator, trust: coordinatorTrust(roster.nodes) }),
  );
  await writeFileAtomic(paths.natsConf, renderNatsConfig(roster, paths));
  await writeFileAtomic(paths.roster, renderRoster(roster));
  return [paths.coordinator, paths.natsConf, paths.roster];
}

async function readCoordinator(paths: FleetPaths, fleet: string): Promise<IdentityFile> {
  let json: unknown;
  try {
    json = JSON.parse(await readText(paths.coordinator));
  } catch (err) {
    if (err instanceof ConfigInvalidError) throw err;
    throw new ConfigInvalidError(paths.coordinator, '', 'is not JSON', err);
  }
  const file = json as Partial<IdentityFile> | null;
  if (file?.role !== 'coordinator' || file.fleet !== fleet) {
    throw new ConfigInvalidError(
      paths.coordinator,
      'role',
      `is not the coordinator identity of fleet ${fleet}`,
    );
  }
  return file as IdentityFile;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigInvalidError(
      path,
      '',
      'cannot read it (is this a fleet dir made by `airlift fleet init`?)',
      err,
    );
  }
}
