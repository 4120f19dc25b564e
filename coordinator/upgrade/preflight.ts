import type { Logger } from 'pino';
import type { KubeTools, ReleaseStatus } from '../kube/index.js';
import type { AgentRow, FleetRegistry } from '../fleet/index.js';
import { formatBytes } from '../../shared/cli/index.js';
import { AirliftError } from '../../shared/errors/index.js';
import { unreachableAgents, type DataPlaneReachOptions } from './data-plane-reach.js';
import { repoChartProblem, type RepoTarget } from './repo-preflight.js';
import { parse as parseYaml } from 'yaml';

/** One failed preflight check: which, where (node), and what to do. */
export interface PreflightFailure {
  readonly check:
    | 'agents'
    | 'agent'
    | 'runtime'
    | 'disk'
    | 'spool'
    | 'data-plane'
    | 'helm'
    | 'helm-repo'
    | 'release'
    | 'registry';
  readonly node?: string;
  readonly message: string;
}

/** What preflight found; nothing has changed anywhere yet. */
export interface PreflightResult {
  readonly failures: readonly PreflightFailure[];
  /** The agents the run will use. */
  readonly targets: readonly AgentRow[];
  /** The registry images are retagged to and `global.imageRegistry` is set to. */
  readonly imageRegistry?: string;
  readonly release?: ReleaseStatus;
  /** Where the registry came from, for the plan output. */
  readonly registrySource?: 'flag' | 'release values';
}

/** What preflight checks against. */
export interface PreflightInput {
  readonly fleet: FleetRegistry;
  readonly kube: KubeTools;
  readonly release: string;
  readonly namespace: string;
  /** `all`, or the node names the operator listed. */
  readonly nodes: 'all' | readonly string[];
  readonly imageRegistry?: string;
  /** Free bytes each node needs where images land. */
  readonly requiredDiskBytes: number;
  /**
   * Free bytes each node needs in its spool (`--spool-dir`): images.tar's size. Pieces an earlier
   * attempt left there are not subtracted: simple, and a spool that tight would be full again soon.
   */
  readonly requiredSpoolBytes?: number;
  /** How every healthy targeted agent's advertised data-plane address is pinged. */
  readonly dataPlane: DataPlaneReachOptions;
  /** `--from-repo`: the repository must be known to helm and list the version. */
  readonly fromRepo?: RepoTarget;
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/**
 * Checks everything the run depends on before anything changes: the targeted agents (healthy, idle,
 * runtime answering, disk, data plane reachable), helm and kubectl, the release, and the target
 * registry. Collects every failure rather than stopping at the first, so the operator fixes them in
 * one go.
 */
export async function preflight(input: PreflightInput): Promise<PreflightResult> {
  const failures: PreflightFailure[] = [];
  const targets = await checkAgents(input, failures);
  // Dialled while helm and kubectl answer: a few seconds at most, for any fleet size.
  const unreachable = unreachableAgents(
    targets
      .filter((row) => row.health === 'healthy')
      .map((row) => ({ node: row.node, grpcAddress: row.heartbeat.grpcAddress })),
    input.dataPlane,
  );
  let release: ReleaseStatus | undefined;
  let imageRegistry = input.imageRegistry;
  let registrySource: PreflightResult['registrySource'] = imageRegistry === undefined ? undefined : 'flag';
  try {
    await input.kube.versions(input.signal);
  } catch (err) {
    failures.push({ check: 'helm', message: `${messageOf(err)} (helm and kubectl must run on this node)` });
  }
  try {
    release = (await input.kube.releaseStatus(input.release, input.namespace, input.signal)).release;
  } catch (err) {
    failures.push({ check: 'release', message: messageOf(err) });
  }
  if (imageRegistry === undefined && release !== undefined) {
    try {
      const values = (await input.kube.getValues(input.release, input.namespace, input.signal)).stdout;
      imageRegistry = globalImageRegistry(values);
      registrySource = 'release values';
      if (imageRegistry === undefined) {
        failures.push({
          check: 'registry',
          message: `release ${input.release} has no global.imageRegistry in its values: pass --image-registry`,
        });
      }
    } catch (err) {
      failures.push({ check: 'registry', message: `cannot read the release's values: ${messageOf(err)}` });
    }
  }
  if (input.fromRepo !== undefined) {
    try {
      const problem = await repoChartProblem(input.kube, input.fromRepo, input.signal);
      if (problem !== undefined) failures.push({ check: 'helm-repo', message: problem });
    } catch (err) {
      failures.push({ check: 'helm-repo', message: messageOf(err) });
    }
  }
  for (const { node, message } of await unreachable) failures.push({ check: 'data-plane', node, message });
  return {
    failures,
    targets,
    ...(imageRegistry === undefined ? {} : { imageRegistry }),
    ...(release === undefined ? {} : { release }),
    ...(registrySource === undefined ? {} : { registrySource }),
  };
}

async function checkAgents(input: PreflightInput, failures: PreflightFailure[]): Promise<AgentRow[]> {
  const fleet = await input.fleet.list();
  let targets: AgentRow[];
  if (input.nodes === 'all') {
    // An agent that said goodbye was taken out on purpose; one that went silent may still run pods.
    targets = fleet.filter((row) => row.heartbeat.state !== 'stopped');
    if (targets.length === 0) {
      failures.push({
        check: 'agents',
        message:
          fleet.length === 0
            ? 'no agent has announced itself: start `airlift agent` on every node'
            : 'every registered agent was stopped: start `airlift agent` on the nodes',
      });
    }
  } else {
    targets = [];
    // A node listed twice would get two jobs, and the second is refused as busy.
    for (const node of new Set(input.nodes)) {
      const row = fleet.find((r) => r.node === node);
      if (row === undefined) {
        failures.push({
          check: 'agent',
          node,
          message: `no agent named ${node} has ever announced itself (see airlift status)`,
        });
      } else targets.push(row);
    }
  }
  for (const row of targets) {
    const hb = row.heartbeat;
    if (row.health !== 'healthy') {
      failures.push({
        check: 'agent',
        node: row.node,
        message: `agent is ${row.health} (last heartbeat ${Math.round(row.ageMs / 1000)} s ago${hb.state === 'stopped' ? ', stopped' : ''}): start or fix it, or leave the node out with --nodes`,
      });
      continue;
    }
    if (hb.state !== 'ready') {
      failures.push({
        check: 'agent',
        node: row.node,
        message: `agent is ${hb.state}${hb.job === undefined ? '' : ` with job ${hb.job.jobId}`}`,
      });
    }
    if (!hb.runtime.ok) {
      failures.push({
        check: 'runtime',
        node: row.node,
        message: `${hb.runtime.kind} does not answer: ${hb.runtime.error ?? 'no detail'}`,
      });
    }
    if (hb.disk.freeBytes < input.requiredDiskBytes) {
      failures.push({
        check: 'disk',
        node: row.node,
        message: `${formatBytes(hb.disk.freeBytes)} free under ${hb.disk.path}, needs ${formatBytes(input.requiredDiskBytes)}`,
      });
    }
    const spoolNeeds = input.requiredSpoolBytes;
    if (spoolNeeds !== undefined && hb.spool.freeBytes < spoolNeeds) {
      failures.push({
        check: 'spool',
        node: row.node,
        message: `${formatBytes(hb.spool.freeBytes)} free in the spool ${hb.spool.path}, needs ${formatBytes(spoolNeeds)} (images.tar): free space there or give the agent a --spool-dir on a larger filesystem`,
      });
    }
  }
  return targets;
}

/** `global.imageRegistry` from `helm get values -o yaml` output. */
export function globalImageRegistry(valuesYaml: string): string | undefined {
  const values = parseYaml(valuesYaml) as { global?: { imageRegistry?: unknown } } | null;
  const registry = values?.global?.imageRegistry;
  return typeof registry === 'string' && registry !== '' ? registry : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof AirliftError || err instanceof Error ? err.message : String(err);
}
