import type { Logger } from 'pino';
import { AirliftError, RuntimeUnavailableError } from '../../shared/errors/index.js';
import type { CommandRunner } from '../../shared/exec/index.js';
import type { ContainerRuntime, RuntimeKind } from './container-runtime.js';
import { ContainerdRuntime, DEFAULT_CONTAINERD_ADDRESS } from './containerd-runtime.js';
import { DEFAULT_DOCKER_HOST } from './docker-endpoint.js';
import { DockerRuntime } from './docker-runtime.js';

/** How to reach the runtimes; unset addresses are probed at their usual places. */
export interface RuntimeSelection {
  readonly kind?: RuntimeKind | 'auto';
  readonly dockerHost?: string;
  readonly containerdAddress?: string;
  readonly containerdNamespace?: string;
  readonly ctrPath?: string;
  readonly snapshotter?: string;
  /** containerd: `ctr` imports whole archives with ctr; `api` streams blobs and unpacks layer by layer. */
  readonly containerdImporter?: 'ctr' | 'api';
  readonly runner: CommandRunner;
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
}

// Where kubelet-era nodes keep the sockets: Docker's, containerd's (kubeadm, DCE) and k3s/rke2's.
const DOCKER_CANDIDATES = [DEFAULT_DOCKER_HOST, 'unix:///run/docker.sock'];
const CONTAINERD_CANDIDATES = [
  DEFAULT_CONTAINERD_ADDRESS,
  '/var/run/containerd/containerd.sock',
  '/run/k3s/containerd/containerd.sock',
];

/**
 * Returns the runtime to load into: the one asked for, or the one that answers. When both answer,
 * containerd wins if its namespace already holds images (kubelet uses it), else Docker.
 */
export async function selectRuntime(selection: RuntimeSelection): Promise<ContainerRuntime> {
  const kind = selection.kind ?? 'auto';
  const docker = (host: string): DockerRuntime =>
    new DockerRuntime({ host, ...(selection.logger === undefined ? {} : { logger: selection.logger }) });
  const containerd = (address: string): ContainerdRuntime =>
    new ContainerdRuntime({
      runner: selection.runner,
      address,
      ...(selection.containerdNamespace === undefined ? {} : { namespace: selection.containerdNamespace }),
      ...(selection.ctrPath === undefined ? {} : { ctrPath: selection.ctrPath }),
      ...(selection.snapshotter === undefined ? {} : { snapshotter: selection.snapshotter }),
      ...(selection.containerdImporter === undefined ? {} : { importer: selection.containerdImporter }),
      ...(selection.logger === undefined ? {} : { logger: selection.logger }),
    });

  if (kind === 'docker')
    return answering(docker(selection.dockerHost ?? DEFAULT_DOCKER_HOST), selection.signal);
  if (kind === 'containerd') {
    return answering(containerd(selection.containerdAddress ?? DEFAULT_CONTAINERD_ADDRESS), selection.signal);
  }
  const dockerHosts = selection.dockerHost === undefined ? DOCKER_CANDIDATES : [selection.dockerHost];
  const containerdAddresses =
    selection.containerdAddress === undefined ? CONTAINERD_CANDIDATES : [selection.containerdAddress];
  const tried: string[] = [];
  let foundContainerd: ContainerdRuntime | undefined;
  for (const address of containerdAddresses) {
    const runtime = containerd(address);
    if (await answers(runtime, `containerd at ${address}`, tried, selection.signal)) {
      foundContainerd = runtime;
      break;
    }
  }
  let foundDocker: DockerRuntime | undefined;
  for (const host of dockerHosts) {
    const runtime = docker(host);
    if (await answers(runtime, `docker at ${host}`, tried, selection.signal)) {
      foundDocker = runtime;
      break;
    }
  }
  if (foundContainerd === undefined || foundDocker === undefined) {
    const only = foundContainerd ?? foundDocker;
    if (only !== undefined) return only;
    throw new RuntimeUnavailableError(
      `no container runtime answers (tried ${tried.join('; ')}): start Docker or containerd, or pass --runtime with --docker-host / --containerd-address`,
    );
  }
  const kubeletImages = await foundContainerd.hasImages(selection.signal).catch(() => false);
  selection.logger?.info(
    {
      containerd: foundContainerd.address,
      docker: foundDocker.host,
      chosen: kubeletImages ? 'containerd' : 'docker',
    },
    'both runtimes answer; choosing by where kubelet images live (pass --runtime to decide)',
  );
  return kubeletImages ? foundContainerd : foundDocker;
}

async function answering(runtime: ContainerRuntime, signal?: AbortSignal): Promise<ContainerRuntime> {
  await runtime.info(signal);
  return runtime;
}

async function answers(
  runtime: ContainerRuntime,
  label: string,
  tried: string[],
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    await runtime.info(signal);
    return true;
  } catch (err) {
    tried.push(err instanceof AirliftError ? label : `${label} (${String(err)})`);
    return false;
  }
}
