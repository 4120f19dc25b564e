import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** Where each file of a fleet dir lives (absolute paths: nats-server.conf names them). */
export interface FleetPaths {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly coordinator: string;
  readonly roster: string;
  readonly nodesDir: string;
  readonly natsDir: string;
  readonly natsConf: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** `<dir>/nodes/<node>.json`: the file the operator copies to the node as /etc/airlift/agent.json. */
  node(name: string): string;
}

/** The default fleet dir on the coordinator's host. */
export const DEFAULT_FLEET_DIR = '/etc/airlift/fleet';

/** The layout of the fleet dir `dir`. */
export function fleetPaths(dir: string): FleetPaths {
  const root = resolve(dir);
  const natsDir = join(root, 'nats');
  const nodesDir = join(root, 'nodes');
  return {
    dir: root,
    caCert: join(root, 'ca.pem'),
    caKey: join(root, 'ca.key'),
    coordinator: join(root, 'coordinator.json'),
    roster: join(root, 'fleet.json'),
    nodesDir,
    natsDir,
    natsConf: join(natsDir, 'nats-server.conf'),
    serverCert: join(natsDir, 'server.pem'),
    serverKey: join(natsDir, 'server.key'),
    node: (name) => join(nodesDir, `${name}.json`),
  };
}

/** Creates `path` (and parents) and makes it 0700: it holds keys. */
export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  // mkdir's mode passes through the umask and leaves an existing dir as it was.
  await chmod(path, 0o700);
}

/**
 * Writes `content` to `path` with mode 0600 through a temp file and a rename, so a reader (or a
 * nats-server reload) never sees half a file and a crash leaves the old one whole.
 */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
