import { InvalidReferenceError } from '../errors/index.js';
import { type ImageReference, formatReference, tryParseReference } from './image-reference.js';
import {
  DOCKER_HUB,
  LEGACY_DOCKER_HUB,
  looksLikeRegistry,
  registryHostProblem,
  repositoryPathProblem,
} from './reference-grammar.js';

/** DCE's plain rule: every image of the release is pulled from `global.imageRegistry`. */
export interface RegistryRetagRule {
  readonly kind: 'registry';
  readonly registry: string;
}

/** The rewrite charts-syncer (DaoCloud fork) asks relok8s to apply, named as in `load-image.yaml`'s `target`. */
export interface Relok8sRetagRule {
  readonly kind: 'relok8s';
  readonly containerRegistry?: string;
  readonly containerRepository?: string;
  readonly containerPrefixRegistry?: string;
  readonly containerPrefixRepository?: string;
  readonly appendOriginRegistry?: boolean;
}

export type RetagRule = RegistryRetagRule | Relok8sRetagRule;

/** A rule field that cannot work, with the field's name as written in the rule. */
export interface RetagRuleProblem {
  readonly field: string;
  readonly problem: string;
}

// Go treats "" as unset; so do we, so a rule built from a config with empty values behaves the same.
function set(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

/** A registry value may carry a path (`10.6.1.1/dce`): charts-syncer validates such values as repositories. */
function registryValueProblem(value: string): string | undefined {
  const slash = value.indexOf('/');
  const host = slash === -1 ? value : value.slice(0, slash);
  if (!looksLikeRegistry(host)) {
    return `${JSON.stringify(host)} is not a registry host: a registry needs a "." or a ":port", or is "localhost" (otherwise the name would be read as a Docker Hub path)`;
  }
  const hostProblem = registryHostProblem(host);
  if (hostProblem !== undefined) return hostProblem;
  return slash === -1 ? undefined : repositoryPathProblem(value.slice(slash + 1), 'registry path');
}

/** The first field of the rule that is malformed, or undefined when every field can be used. */
export function findRetagRuleProblem(rule: RetagRule): RetagRuleProblem | undefined {
  const registryField = (field: string, value: string | undefined): RetagRuleProblem | undefined => {
    const problem = set(value) ? registryValueProblem(value) : undefined;
    return problem === undefined ? undefined : { field, problem };
  };
  const pathField = (field: string, value: string | undefined): RetagRuleProblem | undefined => {
    const problem = set(value) ? repositoryPathProblem(value, field) : undefined;
    return problem === undefined ? undefined : { field, problem };
  };

  if (rule.kind === 'registry') {
    if (!set(rule.registry)) return { field: 'registry', problem: 'is empty' };
    return registryField('registry', rule.registry);
  }
  // Mirrors relok8s `validateTarget` (ErrOCIRewritesMissing) and `RewriteRules.Validate` (pkg/mover).
  if (
    !set(rule.containerRegistry) &&
    !set(rule.containerRepository) &&
    !set(rule.containerPrefixRegistry) &&
    !set(rule.containerPrefixRepository)
  ) {
    return {
      field: 'containerRegistry',
      problem:
        'no rewrite: set at least one of containerRegistry, containerRepository, containerPrefixRegistry, containerPrefixRepository',
    };
  }
  if (rule.appendOriginRegistry === true && !set(rule.containerPrefixRegistry)) {
    return { field: 'appendOriginRegistry', problem: 'can only be true when containerPrefixRegistry is set' };
  }
  return (
    registryField('containerRegistry', rule.containerRegistry) ??
    registryField('containerPrefixRegistry', rule.containerPrefixRegistry) ??
    pathField('containerRepository', rule.containerRepository) ??
    pathField('containerPrefixRepository', rule.containerPrefixRepository)
  );
}

/** The registry name relok8s writes into paths: go-containerregistry calls Docker Hub `index.docker.io`. */
function originRegistryName(ref: ImageReference): string {
  return ref.registry === DOCKER_HUB ? LEGACY_DOCKER_HUB : ref.registry;
}

function lastSegment(repository: string): string {
  return repository.slice(repository.lastIndexOf('/') + 1);
}

// relok8s as vendored by DaoCloud/charts-syncer, newest stored version (commit 2b4af0c5):
// staging/src/github.com/asset-relocation-tool-for-kubernetes/internal/rewrite_action.go, ImageTemplate.Apply.
// It returns registry and repository values for the chart; the image is what `{{registry}}/{{repository}}`
// renders to, so a registry value may carry path components (appendOriginRegistry). Older stored versions
// (c181e268) put containerPrefixRepository before the origin registry and had no appendOriginRegistry.
function relok8sLocation(
  ref: ImageReference,
  rule: Relok8sRetagRule,
): { registry: string; repository: string } {
  const origin = originRegistryName(ref);
  const prefixRegistry = set(rule.containerPrefixRegistry) ? rule.containerPrefixRegistry : undefined;
  const prefixRepository = set(rule.containerPrefixRepository) ? rule.containerPrefixRepository : undefined;
  const append = rule.appendOriginRegistry === true;

  let registry = ref.registry;
  if (prefixRegistry !== undefined && append) registry = `${prefixRegistry}/${origin}`;
  else if (prefixRegistry !== undefined) registry = prefixRegistry;
  else if (set(rule.containerRegistry)) registry = rule.containerRegistry;

  // Same case order as the Go switch. With appendOriginRegistry the origin already sits in the registry
  // value, and relok8s then leaves the repository alone, dropping containerPrefixRepository.
  let repository = ref.repository;
  if (append && prefixRegistry !== undefined) repository = ref.repository;
  else if (append && prefixRepository !== undefined) repository = `${prefixRepository}/${ref.repository}`;
  else if (prefixRepository !== undefined && prefixRegistry !== undefined) {
    repository = `${origin}/${prefixRepository}/${ref.repository}`;
  } else if (prefixRepository !== undefined) repository = `${prefixRepository}/${ref.repository}`;
  else if (prefixRegistry !== undefined) repository = `${origin}/${ref.repository}`;

  // containerRepository wins over every prefix: it keeps only the image's own name.
  if (set(rule.containerRepository)) {
    repository = `${rule.containerRepository}/${lastSegment(ref.repository)}`;
  }
  return { registry, repository };
}

// The field to name when the rewritten reference is invalid: the one that shaped the repository part.
function blamedField(rule: RetagRule): string {
  if (rule.kind === 'registry') return 'registry';
  if (set(rule.containerRepository)) return 'containerRepository';
  if (set(rule.containerPrefixRegistry)) return 'containerPrefixRegistry';
  if (set(rule.containerPrefixRepository)) return 'containerPrefixRepository';
  return 'containerRegistry';
}

/** Rewrite a reference with a rule; tag and digest are kept. Throws InvalidReferenceError naming the rule field. */
export function applyRetagRule(ref: ImageReference, rule: RetagRule): ImageReference {
  const original = formatReference(ref);
  const fieldProblem = findRetagRuleProblem(rule);
  if (fieldProblem !== undefined) {
    throw new InvalidReferenceError(
      original,
      `cannot retag with ${describeRetagRule(rule)}: ${fieldProblem.field} ${fieldProblem.problem}`,
      { field: fieldProblem.field },
    );
  }
  const location =
    rule.kind === 'registry'
      ? { registry: rule.registry, repository: ref.repository }
      : relok8sLocation(ref, rule);
  const candidate = formatReference({
    registry: location.registry,
    repository: location.repository,
    ...(ref.tag === undefined ? {} : { tag: ref.tag }),
    ...(ref.digest === undefined ? {} : { digest: ref.digest }),
  });
  // Re-parse so that no rule can hand an unparseable or differently-read name to the runtime.
  const outcome = tryParseReference(candidate);
  if (!outcome.ok) {
    const field = blamedField(rule);
    throw new InvalidReferenceError(
      candidate,
      `${describeRetagRule(rule)} turns ${original} into an invalid reference (${outcome.problem}); check ${field}`,
      { field },
    );
  }
  return outcome.ref;
}

/** One line for humans: what the rule does to every image. */
export function describeRetagRule(rule: RetagRule): string {
  if (rule.kind === 'registry') return `registry rule (global.imageRegistry=${rule.registry})`;
  const parts: string[] = [];
  if (set(rule.containerRegistry)) parts.push(`containerRegistry=${rule.containerRegistry}`);
  if (set(rule.containerRepository)) parts.push(`containerRepository=${rule.containerRepository}`);
  if (set(rule.containerPrefixRegistry))
    parts.push(`containerPrefixRegistry=${rule.containerPrefixRegistry}`);
  if (set(rule.containerPrefixRepository)) {
    parts.push(`containerPrefixRepository=${rule.containerPrefixRepository}`);
  }
  if (rule.appendOriginRegistry === true) parts.push('appendOriginRegistry=true');
  return `charts-syncer rule (${parts.length === 0 ? 'no rewrite' : parts.join(', ')})`;
}
