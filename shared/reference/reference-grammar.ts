// The pieces of an image reference, checked one at a time so an error can say which piece is wrong.
// Patterns follow distribution/reference `regexp.go` (the grammar docker, containerd and go-containerregistry
// agree on); digest lengths for known algorithms follow opencontainers/go-digest `algorithm.go`.

/** Docker Hub's canonical registry name, and the legacy alias normalised to it. */
export const DOCKER_HUB = 'docker.io';
export const LEGACY_DOCKER_HUB = 'index.docker.io';

/** distribution/reference NameTotalLengthMax: registry + '/' + repository. */
export const NAME_MAX_LENGTH = 255;
export const TAG_MAX_LENGTH = 128;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_HOST = /^\[[a-fA-F0-9:]+\]$/;
const PORT = /^[0-9]+$/;
const TAG = /^\w[\w.-]*$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
/** An image ID: docker refuses it as a repository name because it would shadow `docker run <id>`. */
export const IMAGE_ID = /^[a-f0-9]{64}$/;

// go-digest only knows these; their encodings are lowercase hex of a fixed length.
const KNOWN_DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** True when the first path component of a name is a registry host rather than part of a Docker Hub path. */
export function looksLikeRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

/** What is wrong with a registry host (`host`, `host:port`, `[v6]:port`), or undefined. */
export function registryHostProblem(host: string): string | undefined {
  if (host === '') return 'empty registry host';
  let name = host;
  let port: string | undefined;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close === -1) return `invalid IPv6 registry host ${JSON.stringify(host)}: missing "]"`;
    name = host.slice(0, close + 1);
    const after = host.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return `invalid registry host ${JSON.stringify(host)}`;
      port = after.slice(1);
    }
    if (!IPV6_HOST.test(name)) return `invalid IPv6 registry host ${JSON.stringify(name)}`;
  } else {
    const colon = host.indexOf(':');
    if (colon !== -1) {
      name = host.slice(0, colon);
      port = host.slice(colon + 1);
    }
    if (name === '') return `registry ${JSON.stringify(host)} has a port but no host name`;
    if (!name.split('.').every((c) => DOMAIN_COMPONENT.test(c))) {
      return `invalid registry host ${JSON.stringify(name)}: only letters, digits, "-" and "." are allowed, and "-" or "." not at either end of a label`;
    }
  }
  if (port !== undefined && !PORT.test(port)) {
    return `invalid registry port ${JSON.stringify(port)} in ${JSON.stringify(host)}: digits only`;
  }
  return undefined;
}

/** What is wrong with a repository path (`a/b/c`), or undefined. `what` names it in the message. */
export function repositoryPathProblem(path: string, what = 'repository'): string | undefined {
  if (path === '') return `empty ${what}`;
  if (path !== path.toLowerCase()) return `uppercase letters in ${what} ${JSON.stringify(path)}`;
  for (const component of path.split('/')) {
    if (component === '')
      return `empty path component in ${what} ${JSON.stringify(path)} (a doubled, leading or trailing "/")`;
    if (!PATH_COMPONENT.test(component)) {
      return `invalid path component ${JSON.stringify(component)} in ${what}: use lowercase letters and digits, separated by ".", "_", "__" or "-"`;
    }
  }
  return undefined;
}

/** What is wrong with a tag, or undefined. */
export function tagProblem(tag: string): string | undefined {
  if (tag === '') return 'empty tag after ":"';
  if (tag.length > TAG_MAX_LENGTH) return `tag longer than ${TAG_MAX_LENGTH} characters (${tag.length})`;
  if (!TAG.test(tag)) {
    return `invalid tag ${JSON.stringify(tag)}: letters, digits, "_", "." and "-" only, not starting with "." or "-"`;
  }
  return undefined;
}

/** What is wrong with a digest (`algorithm:hex`), or undefined. */
export function digestProblem(digest: string): string | undefined {
  if (digest === '') return 'empty digest after "@"';
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, Math.max(colon, 0));
  const expected = KNOWN_DIGEST_HEX_LENGTH[algorithm];
  if (expected !== undefined) {
    const encoded = digest.slice(colon + 1);
    if (!/^[0-9a-fA-F]*$/.test(encoded)) {
      return `invalid digest ${JSON.stringify(digest)}: ${algorithm} needs ${expected} hex digits`;
    }
    if (encoded.length !== expected) {
      return `invalid digest: ${algorithm} needs ${expected} hex digits, got ${encoded.length}`;
    }
    if (encoded !== encoded.toLowerCase()) return `invalid digest: ${algorithm} hex digits must be lowercase`;
    return undefined;
  }
  if (!DIGEST.test(digest)) {
    return `invalid digest ${JSON.stringify(digest)}: expected algorithm:hex such as sha256:<64 hex digits>`;
  }
  return undefined;
}
