import { ConfigInvalidError } from '../errors/index.js';
import { findRetagRuleProblem, readLoadImageConfig, type RetagRule } from '../reference/index.js';

/** The CLI's ways to say where images must end up. */
export interface RetagRuleOptions {
  /** `global.imageRegistry` of the release: the registry part of every reference becomes this. */
  readonly imageRegistry?: string;
  /** With imageRegistry: relok8s `containerRepository` (repository becomes `<this>/<last segment>`). */
  readonly containerRepository?: string;
  /** A charts-syncer load-image.yaml whose `target` holds the rule. */
  readonly loadImageConfig?: string;
}

/** Resolves the one retag rule a run uses, refusing ambiguous or malformed input with the flag named. */
export async function resolveRetagRule(options: RetagRuleOptions): Promise<RetagRule> {
  if (options.loadImageConfig !== undefined) {
    if (options.imageRegistry !== undefined || options.containerRepository !== undefined) {
      throw new ConfigInvalidError(
        'command line',
        '--load-image-config',
        'give either --load-image-config or --image-registry/--container-repository, not both',
      );
    }
    return (await readLoadImageConfig(options.loadImageConfig)).rule;
  }
  if (options.imageRegistry === undefined) {
    throw new ConfigInvalidError(
      'command line',
      '--image-registry',
      "is required: pass the registry the cluster pulls from (the release's global.imageRegistry), or --load-image-config",
    );
  }
  const rule: RetagRule =
    options.containerRepository === undefined
      ? { kind: 'registry', registry: options.imageRegistry }
      : {
          kind: 'relok8s',
          containerRegistry: options.imageRegistry,
          containerRepository: options.containerRepository,
        };
  const problem = findRetagRuleProblem(rule);
  if (problem !== undefined) {
    const flag = problem.field === 'containerRepository' ? '--container-repository' : '--image-registry';
    throw new ConfigInvalidError('command line', flag, problem.problem);
  }
  return rule;
}
