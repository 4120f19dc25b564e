import {
  chartRef,
  listRepos,
  repoUpdateCommand,
  searchVersions,
  type KubeTools,
  type RepoChart,
} from '../kube/index.js';

/** The chart `--from-repo` names, and the version the run must find. */
export interface RepoTarget {
  readonly source: RepoChart;
  readonly version: string;
  /** A dry run only asks whether helm knows the repository: `repo update` rewrites helm's cache. */
  readonly dryRun: boolean;
}

/**
 * Checks before any image moves that helm knows the repository and that it lists the version, so a
 * typo in `--from-repo` or `--version` costs seconds, not a distribution. A repository that is absent
 * with `--repo-url` given is left to the kube phase, which adds it; preflight refreshes only helm's
 * cached index of the repository (not in a dry run) and changes nothing in the cluster.
 * Returns the problem, or undefined when the chart is there (or can only be checked after adding).
 */
export async function repoChartProblem(
  kube: KubeTools,
  target: RepoTarget,
  signal: AbortSignal,
): Promise<string | undefined> {
  const { source, version } = target;
  const known = (await listRepos(kube, signal)).repos;
  if (!known.has(source.repo)) {
    if (source.repoUrl !== undefined) return undefined;
    const names = [...known.keys()];
    return `helm has no repository ${source.repo} (helm repo list: ${names.length === 0 ? 'none' : names.join(', ')}): pass --repo-url URL, or run \`helm repo add ${source.repo} URL\``;
  }
  if (target.dryRun) return undefined;
  // Only helm's local index of that repository is refreshed: nothing in the cluster changes.
  await kube.runCommand(repoUpdateCommand(kube, source), signal);
  const { versions } = await searchVersions(kube, source, signal);
  if (versions.includes(version)) return undefined;
  return `${chartRef(source)} ${version} is not in repository ${source.repo}: ${versions.length === 0 ? 'it lists no version of that chart' : `versions listed: ${versions.join(', ')}`}`;
}
