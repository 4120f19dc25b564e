import { rename, rm, writeFile } from 'node:fs/promises';
import { Document } from 'yaml';
import { agentManifests, type ManifestRuntime } from './agent-manifest.js';

/** What writeDaemonSet needs. */
export interface WriteDaemonSetOptions {
  /** The agent image reference the nodes hold, e.g. buildAgentImage's `reference`. */
  readonly image: string;
  readonly version: string;
  readonly outFile: string;
  /** Default airlift-system. */
  readonly namespace?: string;
  /** Runtimes whose sockets are mounted; default containerd only (see agent-manifest.ts). */
  readonly runtimes?: readonly ManifestRuntime[];
}

/** The written manifest. */
export interface WrittenDaemonSet {
  readonly file: string;
  readonly namespace: string;
  readonly text: string;
}

const HEADER = [
  ' airlift agent on every node (docs/kubernetes.md). Before applying:',
  '  - every node holds its identity at /etc/airlift/agent.json (nodes/<node>.json of',
  '    `airlift fleet init`, named as the Kubernetes node, mode 0600);',
  '  - every node holds the image (`airlift node load airlift-agent_<version>.bundle.tar ...`),',
  '    or the cluster registry has it and `image:` below names it there.',
].join('\n');

/** Renders the agent's Namespace and DaemonSet as multi-document YAML. */
export function renderDaemonSet(options: Omit<WriteDaemonSetOptions, 'outFile'>): string {
  const documents = agentManifests(options).map((manifest, index) => {
    const doc = new Document(manifest, { aliasDuplicateObjects: false });
    if (index === 0) doc.commentBefore = HEADER;
    return doc.toString({ lineWidth: 0 });
  });
  return documents.join('---\n');
}

/** Writes the agent's Namespace and DaemonSet manifest to `outFile` (atomically). */
export async function writeDaemonSet(options: WriteDaemonSetOptions): Promise<WrittenDaemonSet> {
  const text = renderDaemonSet(options);
  const partial = `${options.outFile}.partial`;
  try {
    await writeFile(partial, text);
    await rename(partial, options.outFile);
  } finally {
    await rm(partial, { force: true });
  }
  return { file: options.outFile, namespace: options.namespace ?? 'airlift-system', text };
}
