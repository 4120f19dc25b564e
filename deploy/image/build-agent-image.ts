import { createHash } from 'node:crypto';
import { access, constants, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Logger } from 'pino';
import { ConfigInvalidError } from '../../shared/errors/index.js';
import { ExecaRunner, type CommandRunner } from '../../shared/exec/index.js';
import { hostPlatform, type Platform } from '../../shared/image-archive/index.js';
import { agentBundleFileName, writeAgentBundle } from './agent-bundle.js';
import { AGENT_EXECUTABLE_PATH, agentImageConfig } from './agent-image-config.js';
import { writeImageArchive } from './image-archive-writer.js';
import { writeLayer, type LayerBlob, type LayerEntry } from './layer-tar.js';
import { sharedLibrariesOf } from './shared-libraries.js';

/**
 * The registry the agent image is named under before any retag: `.invalid` is reserved (RFC 2606), so
 * nothing can ever be pulled from it by mistake; `node load --image-registry` puts the cluster's there.
 */
export const AGENT_IMAGE_REGISTRY = 'airlift.invalid';
export const AGENT_IMAGE_REPOSITORY = 'airlift/agent';

/** `airlift.invalid/airlift/agent:<version>`: the name the image archive gives the agent image. */
export function agentImageReference(version: string): string {
  return `${AGENT_IMAGE_REGISTRY}/${AGENT_IMAGE_REPOSITORY}:${version}`;
}

/** What buildAgentImage needs. */
export interface BuildAgentImageOptions {
  /** The airlift executable (the single-executable release build); its shared libraries come along. */
  readonly executable: string;
  readonly version: string;
  /** The image archive to write (docker-archive, one image). */
  readonly outFile: string;
  /** Go architecture name; must be this machine's, whose ldd finds the libraries. Default: this machine's. */
  readonly arch?: string;
  /**
   * Other executables the agent runs, put at /usr/local/bin/<name> with their libraries, e.g. the build
   * machine's `ctr`: the agent falls back to `ctr images import` for archives that are not in
   * go-containerregistry's layout, and `ctr images rm` to untag. Default none.
   */
  readonly helpers?: readonly string[];
  /** Default agentImageReference(version). */
  readonly reference?: string;
  /** Also write the `airlift node load` bundle wrapping the archive here (agentBundleFileName(version)). */
  readonly bundleFile?: string;
  /** Image creation time, RFC 3339; default the epoch, so that builds are reproducible. */
  readonly created?: string;
  /** The commit the executable was built from (label org.opencontainers.image.revision). */
  readonly revision?: string;
  readonly runner?: CommandRunner;
  readonly logger?: Logger;
}

/** One file of the image's layer and where its bytes came from. */
export interface AgentImageFile {
  readonly path: string;
  readonly source: string;
  readonly size: number;
}

/** What was built. */
export interface AgentImage {
  readonly file: string;
  readonly reference: string;
  /** sha256 of the config blob: the image id (`docker images --no-trunc`, `crictl images`). */
  readonly configDigest: string;
  /** Bytes of the image archive. */
  readonly size: number;
  readonly platform: Platform;
  readonly layer: LayerBlob & { readonly files: readonly AgentImageFile[] };
  readonly bundleFile?: string;
}

/**
 * Builds the agent's container image from nothing (no base image, nothing pulled): one layer with the
 * executable at /usr/local/bin/airlift, every shared library ldd names at the path ldd names, and a
 * few files of /etc; entrypoint `airlift agent`. Deterministic: the same inputs give the same bytes.
 */
export async function buildAgentImage(options: BuildAgentImageOptions): Promise<AgentImage> {
  const platform = checkedPlatform(options.arch);
  const executable = await checkedExecutable(options.executable);
  const runner = options.runner ?? new ExecaRunner(options.logger);
  const files = await layerFiles(executable, options.helpers ?? [], runner);
  const entries: LayerEntry[] = [
    ...files.map((f): LayerEntry => ({ kind: 'file', path: f.path, source: f.source, mode: 0o755 })),
    ...ETC_FILES.map((f): LayerEntry => ({ kind: 'data', ...f, mode: 0o644 })),
    { kind: 'directory', path: '/tmp', mode: 0o1777 },
  ];
  const reference = options.reference ?? agentImageReference(options.version);
  const partial = `${options.outFile}.partial`;
  const layerFile = `${options.outFile}.layer.partial`;
  try {
    const layer = await writeLayer(entries, layerFile);
    const configBytes = agentImageConfig({
      version: options.version,
      platform,
      diffId: layer.diffId,
      created: options.created ?? '1970-01-01T00:00:00Z',
      ...(options.revision === undefined ? {} : { revision: options.revision }),
    });
    const configDigest = `sha256:${createHash('sha256').update(configBytes).digest('hex')}`;
    await writeImageArchive(
      {
        reference,
        config: { digest: configDigest, bytes: configBytes },
        layer: { ...layer, file: layerFile },
      },
      partial,
    );
    await rename(partial, options.outFile);
    if (options.bundleFile !== undefined) await bundleAtomically(options, reference, options.bundleFile);
    const image: AgentImage = {
      file: options.outFile,
      reference,
      configDigest,
      size: (await stat(options.outFile)).size,
      platform,
      layer: { ...layer, files },
      ...(options.bundleFile === undefined ? {} : { bundleFile: options.bundleFile }),
    };
    options.logger?.info({ reference, configDigest, size: image.size }, 'agent image built');
    return image;
  } finally {
    await rm(layerFile, { force: true });
    await rm(partial, { force: true });
  }
}

export { agentBundleFileName };

async function bundleAtomically(
  options: BuildAgentImageOptions,
  reference: string,
  outFile: string,
): Promise<void> {
  const partial = `${outFile}.partial`;
  try {
    await writeAgentBundle({
      imageArchive: options.outFile,
      reference,
      version: options.version,
      outFile: partial,
    });
    await rename(partial, outFile);
  } finally {
    await rm(partial, { force: true });
  }
}

// Running as root needs no passwd entry, but programs that look the user up (getpwuid) find one;
// nsswitch.conf makes name lookups read /etc/hosts (the node's, with hostNetwork) before DNS.
const ETC_FILES: readonly { path: string; data: Buffer }[] = [
  { path: '/etc/passwd', data: Buffer.from('root:x:0:0:root:/tmp:/usr/local/bin/airlift\n') },
  { path: '/etc/group', data: Buffer.from('root:x:0:\n') },
  { path: '/etc/nsswitch.conf', data: Buffer.from('passwd: files\ngroup: files\nhosts: files dns\n') },
];

/** The executable, the helpers and every library any of them loads, each path once. */
async function layerFiles(
  executable: string,
  helpers: readonly string[],
  runner: CommandRunner,
): Promise<AgentImageFile[]> {
  const wanted: { path: string; source: string }[] = [{ path: AGENT_EXECUTABLE_PATH, source: executable }];
  for (const helper of helpers) {
    wanted.push({ path: `/usr/local/bin/${basename(helper)}`, source: await checkedExecutable(helper) });
  }
  for (const { source } of [...wanted]) wanted.push(...(await sharedLibrariesOf(source, runner)));
  const files = new Map<string, AgentImageFile>();
  for (const { path, source } of wanted) {
    const known = files.get(path);
    if (known !== undefined && known.source !== source) {
      throw new ConfigInvalidError(path, 'agent image', `would hold both ${known.source} and ${source}`);
    }
    if (known === undefined) files.set(path, { path, source, size: (await stat(source)).size });
  }
  return [...files.values()];
}

function checkedPlatform(arch: string | undefined): Platform {
  const host = hostPlatform();
  if (arch !== undefined && arch !== host.architecture) {
    throw new ConfigInvalidError(
      'agent image',
      'arch',
      `is ${arch}, but this machine is ${host.architecture} and its ldd finds the libraries: build the ${arch} image on a ${arch} machine`,
    );
  }
  return host;
}

async function checkedExecutable(path: string): Promise<string> {
  try {
    const resolved = await realpath(path);
    if (!(await stat(resolved)).isFile()) throw new Error('not a regular file');
    await access(resolved, constants.X_OK);
    return resolved;
  } catch (err) {
    throw new ConfigInvalidError(
      path,
      'executable',
      `cannot be put in the agent image (${(err as Error).message}): pass the built airlift executable`,
      err,
    );
  }
}
