import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const INSTALL_HINT = 'run `bash deploy/dev/install-prereqs.sh` as root';

// Daemons and admin tools live in sbin, which is not on every PATH a test runner inherits.
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** Throws unless the process runs as root; `what` names the helper that needs it, for the message. */
export function requireRoot(what: string): void {
  const uid = process.getuid?.();
  if (uid !== 0) {
    throw new Error(
      `${what} needs root (it mounts filesystems and owns daemon sockets) but runs as uid ${String(uid)}; ` +
        'run the integration tests as root',
    );
  }
}

/** Returns the absolute path of an executable found on PATH or in the sbin dirs, or throws saying how to install it. */
export function requireBinary(name: string): string {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== ''), ...SBIN_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new Error(`${name} not found on PATH or in ${SBIN_DIRS.join(', ')}: ${INSTALL_HINT}`);
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
