import { z } from 'zod';
import { CommandFailedError, ConfigInvalidError } from '../../shared/errors/index.js';
import { checkChartVersion } from './kube-arguments.js';
import type { KubeTools, ToolRun } from './kube-tools.js';

/** `upgrade --from-repo REPO/CHART [--repo-url URL]`: the chart comes from a helm repository. */
export interface RepoChart {
  /** The repository's local name in helm (`helm repo list`). */
  readonly repo: string;
  readonly chart: string;
  /** Added as `helm repo add REPO URL` when `helm repo list` lacks the repository. */
  readonly repoUrl?: string;
}

// helm's repository names and chart names: no '/', nothing helm would read as a flag.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const REPO_URL = /^(https?|oci):\/\/[^\s]+$/;

/** Parses `--from-repo REPO/CHART` (and `--repo-url`), refusing anything helm would misread. */
export function parseRepoChart(text: string, repoUrl?: string): RepoChart {
  const [repo, chart, ...rest] = text.split('/');
  if (repo === undefined || chart === undefined || rest.length > 0 || !NAME.test(repo) || !NAME.test(chart)) {
    throw new ConfigInvalidError(
      'command line',
      '--from-repo',
      `${JSON.stringify(text)} is not REPO/CHART, as \`helm search repo\` names a chart (e.g. daocloud/mymodule)`,
    );
  }
  if (repoUrl !== undefined && !REPO_URL.test(repoUrl)) {
    throw new ConfigInvalidError(
      'command line',
      '--repo-url',
      `${JSON.stringify(repoUrl)} is not a repository URL such as https://charts.example.com/daocloud`,
    );
  }
  return { repo, chart, ...(repoUrl === undefined ? {} : { repoUrl }) };
}

/** `REPO/CHART`, as helm search, pull and upgrade name it. */
export function chartRef(source: RepoChart): string {
  return `${source.repo}/${source.chart}`;
}

/** `helm repo list -o json`. */
export function repoListCommand(tools: KubeTools): readonly string[] {
  return tools.helmCommand(['repo', 'list', '-o', 'json']);
}

/** `helm repo add REPO URL`. */
export function repoAddCommand(tools: KubeTools, source: RepoChart, url: string): readonly string[] {
  return tools.helmCommand(['repo', 'add', source.repo, url]);
}

/** `helm repo update REPO`. */
export function repoUpdateCommand(tools: KubeTools, source: RepoChart): readonly string[] {
  return tools.helmCommand(['repo', 'update', source.repo]);
}

/** `helm search repo REPO/CHART --versions -o json`. */
export function searchCommand(tools: KubeTools, source: RepoChart): readonly string[] {
  return tools.helmCommand(['search', 'repo', chartRef(source), '--versions', '-o', 'json']);
}

/** `helm pull REPO/CHART --version V --untar --untardir DIR`: the chart, unpacked into DIR/CHART. */
export function pullCommand(
  tools: KubeTools,
  source: RepoChart,
  version: string,
  untarDir: string,
): readonly string[] {
  return tools.helmCommand([
    'pull',
    chartRef(source),
    '--version',
    checkChartVersion(version),
    '--untar',
    '--untardir',
    untarDir,
  ]);
}

const RepoListJson = z.array(z.object({ name: z.string(), url: z.string() }));
const SearchJson = z.array(z.object({ name: z.string(), version: z.string() }));

/** The repositories helm knows (name → URL); helm 3 exits 1 with `no repositories` when there are none. */
export async function listRepos(
  tools: KubeTools,
  signal?: AbortSignal,
): Promise<ToolRun & { readonly repos: ReadonlyMap<string, string> }> {
  const argv = repoListCommand(tools);
  try {
    const run = await tools.runCommand(argv, signal);
    const repos = parseJson(argv, run.stdout, RepoListJson);
    return { ...run, repos: new Map(repos.map((r) => [r.name, r.url])) };
  } catch (err) {
    if (err instanceof CommandFailedError && /no repositories/.test(err.stderr)) {
      return { argv, stdout: '', stderr: err.stderr, durationMs: 0, repos: new Map() };
    }
    throw err;
  }
}

/** The versions of REPO/CHART the repository holds, as `helm search repo --versions` lists them. */
export async function searchVersions(
  tools: KubeTools,
  source: RepoChart,
  signal?: AbortSignal,
): Promise<ToolRun & { readonly versions: readonly string[] }> {
  const argv = searchCommand(tools, source);
  const run = await tools.runCommand(argv, signal);
  // An empty result prints `No results found` (not JSON) on old helm versions.
  const entries = run.stdout.trim().startsWith('[') ? parseJson(argv, run.stdout, SearchJson) : [];
  // search matches by substring: keep REPO/CHART itself only.
  const ref = chartRef(source);
  return { ...run, versions: entries.filter((e) => e.name === ref).map((e) => e.version) };
}

/** Parses a helm command's JSON output, or says which command printed what. */
export function parseJson<T>(argv: readonly string[], stdout: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(stdout === '' ? '[]' : stdout);
  } catch (err) {
    throw new CommandFailedError(argv.join(' '), undefined, 'printed something that is not JSON', err);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new CommandFailedError(
      argv.join(' '),
      undefined,
      'printed JSON of an unexpected shape; is this helm 3?',
    );
  }
  return parsed.data;
}
