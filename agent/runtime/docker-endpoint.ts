import type { DockerOptions } from 'dockerode';
import { ConfigInvalidError } from '../../shared/errors/index.js';

/** The Docker socket kubelet-era nodes use. */
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

/** Turns a DOCKER_HOST-style address (`unix:///path`, `/path`, `tcp://h:p`, `http(s)://h:p`) into dockerode options. */
export function dockerOptionsFor(host: string): DockerOptions {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('/')) return { socketPath: host };
  const m = /^(tcp|http|https):\/\/([^:/]+|\[[^\]]+\]):(\d+)\/?$/.exec(host);
  if (m?.[2] !== undefined && m[3] !== undefined) {
    return { host: m[2], port: Number(m[3]), protocol: m[1] === 'https' ? 'https' : 'http' };
  }
  throw new ConfigInvalidError(
    '--docker-host',
    'docker-host',
    `${JSON.stringify(host)} is not unix:///path, tcp://host:port or https://host:port`,
  );
}
