import { TemplateError } from '../errors/index.js';
import { actionFieldPaths, parseTemplate, type ParsedTemplate } from './go-template.js';
import type { ActionNode } from './go-template-parse.js';

/** Which value path holds which part of the image reference (paths without the leading dot). */
export interface ImageTemplateParts {
  readonly registry?: string;
  readonly repository?: string;
  /** Set instead of registry/repository when one action renders both. */
  readonly registryAndRepository?: string;
  readonly tag?: string;
  readonly digest?: string;
}

/**
 * Splits a hint into registry / repository / tag / digest fields the way relok8s does; throws TemplateError
 * for the shapes relok8s refuses.
 */
export function imageTemplateParts(template: string | ParsedTemplate): ImageTemplateParts {
  // Follows relok8s NewFromString (vmware-tanzu/asset-relocation-tool-for-kubernetes
  // `internal/image_template.go`): an action right after `:` is the tag and one right after `@` the
  // digest (at most one of each); of the remaining actions, one renders registry and repository together
  // and two are the registry then the repository. relok8s matches on the raw text with regexes; here the
  // parsed nodes are used, so a trim marker or comment cannot hide an action.
  const parsed = typeof template === 'string' ? parseTemplate(template) : template;
  const tags: ActionNode[] = [];
  const digests: ActionNode[] = [];
  const others: ActionNode[] = [];
  let previousText = '';
  for (const node of parsed.nodes) {
    if (node.kind === 'text') {
      previousText = node.text;
      continue;
    }
    const bucket = previousText.endsWith(':') ? tags : previousText.endsWith('@') ? digests : others;
    bucket.push(node);
    previousText = '';
  }
  const fail = (problem: string): never => {
    throw new TemplateError(parsed.source, problem);
  };
  if (tags.length > 1) fail('too many tag template matches');
  if (digests.length > 1) fail('too many digest template matches');
  if (others.length === 0) fail('missing repo or a registry fragment');
  if (others.length > 2) fail('more fragments than expected');

  const parts: Record<string, string> = {};
  const put = (name: keyof ImageTemplateParts, action: ActionNode | undefined): void => {
    // The first path an action reads is the one relok8s would rewrite; a literal-only action has none.
    const path = action === undefined ? undefined : actionFieldPaths(action)[0];
    if (path !== undefined) parts[name] = path;
  };
  if (others.length === 1) {
    put('registryAndRepository', others[0]);
  } else {
    put('registry', others[0]);
    put('repository', others[1]);
  }
  put('tag', tags[0]);
  put('digest', digests[0]);
  return parts;
}
