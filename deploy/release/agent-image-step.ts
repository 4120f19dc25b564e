// The release's agent image archive and DaemonSet manifest: deploy/image/ builds the image around the
// executable, deploy/kubernetes/ writes the manifest that runs it.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { CommandRunner } from '../../shared/exec/index.js';
import { buildAgentImage } from '../image/index.js';
import { writeDaemonSet } from '../kubernetes/index.js';

const CTR = '/usr/bin/ctr';

/** Where the step writes: the image archive beside the tarball, the manifest into the staged tree. */
export interface AgentImageStep {
  readonly executable: string;
  readonly version: string;
  readonly imageFile: string;
  /** The image wrapped as a bundle, which `airlift node load` loads and retags on a node. */
  readonly bundleFile: string;
  readonly manifestFile: string;
  readonly runner: CommandRunner;
  readonly logger?: Logger;
}

/** What the step wrote, and the reference the manifest runs. */
export interface AgentImageResult {
  readonly image: string;
  readonly bundle: string;
  readonly reference: string;
  readonly manifest: string;
}

/** Builds the agent image archive from the executable, then the DaemonSet manifest that runs it. */
export async function buildAgentImageStep(step: AgentImageStep): Promise<AgentImageResult> {
  const built = await buildAgentImage({
    executable: step.executable,
    version: step.version,
    outFile: step.imageFile,
    bundleFile: step.bundleFile,
    // An agent on containerd runs ctr for archives that are not in the digest-named layout, and to
    // untag: an empty base has none, so the image carries the build machine's.
    helpers: [CTR],
    runner: step.runner,
    ...(step.logger === undefined ? {} : { logger: step.logger }),
  });
  await mkdir(dirname(step.manifestFile), { recursive: true });
  await writeDaemonSet({ image: built.reference, version: step.version, outFile: step.manifestFile });
  return {
    image: step.imageFile,
    bundle: step.bundleFile,
    reference: built.reference,
    manifest: step.manifestFile,
  };
}
