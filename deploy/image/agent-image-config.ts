import type { Platform } from '../../shared/image-archive/index.js';

/** Where the executable lives in the image, and what the container runs. */
export const AGENT_EXECUTABLE_PATH = '/usr/local/bin/airlift';
export const AGENT_ENTRYPOINT: readonly string[] = [AGENT_EXECUTABLE_PATH, 'agent'];

/** What goes into the image config besides the layer. */
export interface AgentConfigFacts {
  readonly version: string;
  readonly platform: Platform;
  readonly diffId: string;
  /** RFC 3339; fixed (default the epoch) so that two builds give the same config digest. */
  readonly created: string;
  /** The commit the executable was built from, when known. */
  readonly revision?: string;
}

/**
 * The image config JSON (docker/OCI `application/vnd.oci.image.config.v1+json`), serialised with a
 * fixed key order: its bytes, hence its digest (the image id), depend on the inputs only.
 */
export function agentImageConfig(facts: AgentConfigFacts): Buffer {
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': 'airlift-agent',
    'org.opencontainers.image.description':
      'airlift node agent: receives bundle images over the fleet data plane and loads them into containerd or Docker',
    'org.opencontainers.image.version': facts.version,
    'org.opencontainers.image.licenses': 'Apache-2.0',
    'org.opencontainers.image.created': facts.created,
    ...(facts.revision === undefined ? {} : { 'org.opencontainers.image.revision': facts.revision }),
  };
  const config = {
    architecture: facts.platform.architecture,
    os: facts.platform.os,
    created: facts.created,
    config: {
      User: '0:0',
      Env: ['PATH=/usr/local/bin'],
      Entrypoint: [...AGENT_ENTRYPOINT],
      WorkingDir: '/',
      Labels: labels,
    },
    rootfs: { type: 'layers', diff_ids: [facts.diffId] },
    history: [
      {
        created: facts.created,
        created_by: `airlift ${facts.version}: ${AGENT_EXECUTABLE_PATH} and the shared libraries it loads`,
      },
    ],
  };
  return Buffer.from(JSON.stringify(config));
}
