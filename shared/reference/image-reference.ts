import { InvalidReferenceError } from '../errors/index.js';
import {
  DOCKER_HUB,
  IMAGE_ID,
  LEGACY_DOCKER_HUB,
  NAME_MAX_LENGTH,
  digestProblem,
  looksLikeRegistry,
  registryHostProblem,
  repositoryPathProblem,
  tagProblem,
} from './reference-grammar.js';

/** A fully qualified image reference: always a registry, a tag and/or a digest once parsed. */
export interface ImageReference {
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** Outcome of parsing without throwing, so callers that wrap the problem (retag rules) can word it. */
export type ParseOutcome =
  { readonly ok: true; readonly ref: ImageReference } | { readonly ok: false; readonly problem: string };

/** Parse like docker's `reference.ParseDockerRef`, but keep a tag that comes with a digest. */
export function tryParseReference(input: string): ParseOutcome {
  const fail = (problem: string): ParseOutcome => ({ ok: false, problem });
  if (input === '') return fail('empty reference');
  if (/\s/.test(input)) return fail('contains whitespace');
  if (IMAGE_ID.test(input)) return fail('a 64-character hex string is an image ID, not a reference');

  let name = input;
  let digest: string | undefined;
  const at = name.indexOf('@');
  if (at !== -1) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
    const problem = digestProblem(digest);
    if (problem !== undefined) return fail(problem);
  }

  // A ':' after the last '/' starts the tag; earlier ones belong to a registry port.
  let tag: string | undefined;
  const colon = name.lastIndexOf(':');
  if (colon !== -1 && colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    const problem = tagProblem(tag);
    if (problem !== undefined) return fail(problem);
  }
  if (name === '') return fail('no repository name before the tag or digest');

  let registry = DOCKER_HUB;
  let repository = name;
  const slash = name.indexOf('/');
  if (slash !== -1 && looksLikeRegistry(name.slice(0, slash))) {
    registry = name.slice(0, slash);
    repository = name.slice(slash + 1);
    const problem = registryHostProblem(registry);
    if (problem !== undefined) return fail(problem);
    if (registry === LEGACY_DOCKER_HUB) registry = DOCKER_HUB;
  }
  const pathProblem = repositoryPathProblem(repository);
  if (pathProblem !== undefined) return fail(pathProblem);
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (registry.length + 1 + repository.length > NAME_MAX_LENGTH) {
    return fail(`name ${registry}/${repository} longer than ${NAME_MAX_LENGTH} characters`);
  }

  if (tag === undefined && digest === undefined) tag = 'latest';
  return {
    ok: true,
    ref: {
      registry,
      repository,
      ...(tag === undefined ? {} : { tag }),
      ...(digest === undefined ? {} : { digest }),
    },
  };
}

/** Parse and normalise an image reference (`nginx` → docker.io/library/nginx:latest); throws InvalidReferenceError. */
export function parseReference(input: string): ImageReference {
  const outcome = tryParseReference(input);
  if (!outcome.ok) throw new InvalidReferenceError(input, outcome.problem);
  return outcome.ref;
}

/** The full form `registry/repository[:tag][@digest]`, which ctr and the Docker API both accept. */
export function formatReference(ref: ImageReference): string {
  return `${formatName(ref)}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** `registry/repository`, without tag or digest (the `repo` of a Docker tag request). */
export function formatName(ref: Pick<ImageReference, 'registry' | 'repository'>): string {
  return `${ref.registry}/${ref.repository}`;
}
