import type { CheckRegistryImagesPayloadInput } from '../../shared/control/index.js';
import type { RetagPlan } from '../../shared/node-job/index.js';
import { tryParseReference } from '../../shared/reference/index.js';
import type { CliOutput } from '../../shared/cli/index.js';
import { distribute, type DistributeInput, type NodeOutcome } from './distribute.js';
import type { RunObserver } from './progress/index.js';
import { UPGRADE_DEFAULTS, type UpgradeRequest } from './upgrade-request.js';

/**
 * The check-registry-images payload of `--images registry`: every retag target with the config digest
 * the bundle holds for it. No credentials: each node pulls with its runtime's own registry
 * configuration (containerd's hosts.toml under /etc/containerd/certs.d, Docker's daemon.json and login).
 */
export function registryPayload(
  request: Pick<UpgradeRequest, 'prePull' | 'registryPlainHttp' | 'timeoutMs'>,
  retags: Pick<RetagPlan, 'entries'>,
): CheckRegistryImagesPayloadInput {
  const seen = new Set<string>();
  const images = retags.entries
    .filter((entry) => !seen.has(entry.target) && seen.add(entry.target))
    .map((entry) => ({ reference: entry.target, configDigest: entry.configDigest }));
  const hosts = new Set<string>();
  for (const image of images) {
    const parsed = tryParseReference(image.reference);
    if (parsed.ok) hosts.add(parsed.ref.registry);
  }
  return {
    images,
    prePull: request.prePull === true,
    access: { plainHttp: request.registryPlainHttp === true ? [...hosts].sort() : [] },
    timeoutMs: request.timeoutMs,
  };
}

/** What sending the registry check to every node needs. */
export interface RegistryCheckInput extends Pick<
  DistributeInput,
  'bus' | 'trust' | 'fleet' | 'store' | 'runId' | 'nodes' | 'signal' | 'logger'
> {
  readonly payload: CheckRegistryImagesPayloadInput;
  readonly observer: RunObserver;
  readonly output: CliOutput;
}

/** Sends every node the check-registry-images job and collects their reports, with live progress. */
export async function checkRegistryOnNodes(input: RegistryCheckInput): Promise<NodeOutcome[]> {
  input.store.phase('distributing');
  const view = input.observer.distribution(input.nodes, 0);
  try {
    return await distribute({
      ...input,
      registryPayload: input.payload,
      timeoutMs: input.payload.timeoutMs,
      ackTimeoutMs: UPGRADE_DEFAULTS.ackTimeoutMs,
      livenessCheckMs: UPGRADE_DEFAULTS.livenessCheckMs,
      onEvent: (event) => {
        view.event(event);
      },
      onNotice: (node, message) => {
        input.output.err(`airlift: ${node}: ${message}`);
      },
    });
  } finally {
    view.close();
  }
}
