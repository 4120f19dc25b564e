import { ConfigInvalidError } from '../../shared/errors/index.js';

// Helm's own release-name rule (pkg/chartutil ValidateReleaseName): a DNS-1123 subdomain of at most 53.
const RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// host[:port][/path]. No commas, braces or backslashes: `helm --set` would split or reinterpret them.
const IMAGE_REGISTRY = /^[A-Za-z0-9][A-Za-z0-9._-]*(:[0-9]+)?(\/[A-Za-z0-9._-]+)*$/;

/** Checks a helm release name; a name like `--kubeconfig=…` would otherwise be read as a flag. */
export function checkReleaseName(release: string): string {
  if (release.length > 53 || !RELEASE_NAME.test(release)) {
    throw new ConfigInvalidError(
      '--release',
      '',
      `${JSON.stringify(release)} is not a helm release name (lower-case letters, digits, '-' and '.', at most 53 characters)`,
    );
  }
  return release;
}

/** Checks a Kubernetes namespace name. */
export function checkNamespace(namespace: string): string {
  if (namespace.length > 63 || !NAMESPACE.test(namespace)) {
    throw new ConfigInvalidError(
      '--namespace',
      '',
      `${JSON.stringify(namespace)} is not a Kubernetes namespace name (lower-case letters, digits and '-', at most 63 characters)`,
    );
  }
  return namespace;
}

/** Checks the value passed as `--set global.imageRegistry=…`. */
export function checkImageRegistry(registry: string): string {
  if (!IMAGE_REGISTRY.test(registry)) {
    throw new ConfigInvalidError(
      '--image-registry',
      '',
      `${JSON.stringify(registry)} is not a registry address such as 10.16.10.111 or registry.local:5000`,
    );
  }
  return registry;
}

/** Checks a chart version (or helm version constraint) passed as `--version`. */
export function checkChartVersion(version: string): string {
  // Anything else goes to helm as one argument; only a leading '-' or blanks could be misread.
  if (version === '' || version.startsWith('-') || /[\s\p{Cc}]/u.test(version)) {
    throw new ConfigInvalidError('--version', '', `${JSON.stringify(version)} is not a chart version`);
  }
  return version;
}
