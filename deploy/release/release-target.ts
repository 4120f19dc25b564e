// What a release is called: airlift's version and the machine architecture in the names Linux
// distributions and OCI use (amd64, arm64), not Node's (x64, arm64).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentBundleFileName } from '../image/index.js';

/** Node's `process.arch` → the architecture in release names. */
const ARCH_NAMES: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64' };

/** The version and architecture a release is built for, and the names that follow from them. */
export interface ReleaseTarget {
  readonly version: string;
  readonly arch: string;
  /** `airlift-<version>`: the tarball's one top directory. */
  readonly topDir: string;
  /** `airlift-<version>-linux-<arch>.tar.gz` */
  readonly tarball: string;
  /** `airlift-agent-<version>-linux-<arch>.image.tar` */
  readonly image: string;
  /** `airlift-agent_<version>.bundle.tar`: the image as a bundle, for `airlift node load` */
  readonly agentBundle: string;
}

/** The release architecture for Node's `arch`; throws for one the executable cannot be built for. */
export function releaseArch(nodeArch: string = process.arch): string {
  const arch = ARCH_NAMES[nodeArch];
  if (arch === undefined) {
    throw new Error(
      `cannot build a release on a ${nodeArch} machine: only x64 (amd64) and arm64 are supported; build on one of those`,
    );
  }
  return arch;
}

/** The target for this machine and the version in `<repoRoot>/package.json`. */
export function releaseTarget(repoRoot: string, nodeArch: string = process.arch): ReleaseTarget {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string' || pkg.version === '') {
    throw new Error(`${join(repoRoot, 'package.json')} has no version: set "version" before a release`);
  }
  const { version } = pkg;
  const arch = releaseArch(nodeArch);
  return {
    version,
    arch,
    topDir: `airlift-${version}`,
    tarball: `airlift-${version}-linux-${arch}.tar.gz`,
    image: `airlift-agent-${version}-linux-${arch}.image.tar`,
    agentBundle: agentBundleFileName(version),
  };
}
