import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { stringify } from 'yaml';
import { parseReference } from '../../shared/reference/index.js';
import { addBuffer, addFile } from './deterministic-tar.js';

/** The chart name the wrapping bundle carries, and the `<name>` of its file name. */
export const AGENT_BUNDLE_NAME = 'airlift-agent';

/** What writeAgentBundle needs. */
export interface AgentBundleOptions {
  /** The image archive buildAgentImage wrote. */
  readonly imageArchive: string;
  /** The reference the archive names, e.g. `airlift.invalid/airlift/agent:0.1.0`. */
  readonly reference: string;
  readonly version: string;
  /** Conventionally `airlift-agent_<version>.bundle.tar` (agentBundleFileName). */
  readonly outFile: string;
}

/** `airlift-agent_<version>.bundle.tar`: the name charts-syncer's convention gives the wrapping bundle. */
export function agentBundleFileName(version: string): string {
  return `${AGENT_BUNDLE_NAME}_${version}.bundle.tar`;
}

// One hint with separate registry and repository parts: the relok8s rules `node load` applies
// (`--image-registry`, `--container-repository`) then rewrite it as they do any module's.
const HINTS = ['{{ .image.registry }}/{{ .image.repository }}:{{ .image.tag }}'];

/**
 * Wraps the agent image archive as a minimal offline bundle, the one input `airlift node load`
 * takes: hints.yaml, a chart of metadata only (Chart.yaml, values.yaml naming the image; no
 * templates, it is not meant for helm) and the archive as images.tar, last, stored contiguously.
 */
export async function writeAgentBundle(options: AgentBundleOptions): Promise<void> {
  const ref = parseReference(options.reference);
  if (ref.tag === undefined) throw new RangeError(`${options.reference}: the agent image needs a tag`);
  const chart = {
    apiVersion: 'v2',
    name: AGENT_BUNDLE_NAME,
    description:
      'The airlift agent image, wrapped for `airlift node load`. Metadata only: apply the DaemonSet manifest of the release, not this chart.',
    type: 'application',
    version: options.version,
    appVersion: options.version,
  };
  const values = { image: { registry: ref.registry, repository: ref.repository, tag: ref.tag } };
  const tar = pack();
  const done = pipeline(tar, createWriteStream(options.outFile));
  try {
    await addBuffer(tar, 'hints.yaml', Buffer.from(stringify(HINTS)));
    await addBuffer(tar, 'original-chart/Chart.yaml', Buffer.from(stringify(chart)));
    await addBuffer(tar, 'original-chart/values.yaml', Buffer.from(stringify(values)));
    await addFile(tar, 'images.tar', options.imageArchive);
    tar.finalize();
  } catch (err) {
    tar.destroy(err as Error);
  }
  await done;
}
