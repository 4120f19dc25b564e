export type {
  ContainerRuntime,
  LoadHints,
  LoadResult,
  RegistryPullOptions,
  ResolvedImage,
  RuntimeImage,
  RuntimeInfo,
  RuntimeKind,
} from './container-runtime.js';
export { DockerRuntime, type DockerRuntimeOptions } from './docker-runtime.js';
export { DEFAULT_DOCKER_HOST, dockerOptionsFor } from './docker-endpoint.js';
export {
  ContainerdRuntime,
  DEFAULT_CONTAINERD_ADDRESS,
  DEFAULT_CONTAINERD_NAMESPACE,
  type ContainerdRuntimeOptions,
} from './containerd-runtime.js';
export { selectRuntime, type RuntimeSelection } from './detect-runtime.js';
export { CountingStream } from './counting-stream.js';
