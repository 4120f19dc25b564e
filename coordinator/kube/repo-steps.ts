import { access, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KubePhaseError } from '../../shared/errors/index.js';
import {
  chartRef,
  listRepos,
  repoAddCommand,
  repoUpdateCommand,
  searchVersions,
  type RepoChart,
} from './helm-repo.js';
import type { KubePaths } from './kube-plan.js';
import type { KubeTools, ToolRun } from './kube-tools.js';

/** Runs the step's planned command number `index` and records it (kube-phase.ts). */
export type Exec = <T extends ToolRun>(index: number, call: () => Promise<T>) => Promise<T>;

/** How a step ended, for the progress line. */
export interface StepOutcome {
  readonly outcome: 'done' | 'reused' | 'skipped';
  readonly detail: string;
}

/**
 * `helm repo list`, `helm repo add` when the repository is absent and a URL was given, `helm repo
 * update`, `helm search repo --versions`: stops unless `version` is listed.
 */
export async function prepareRepo(
  tools: KubeTools,
  source: RepoChart,
  version: string,
  exec: Exec,
  signal?: AbortSignal,
): Promise<StepOutcome> {
  const list = await exec(0, () => listRepos(tools, signal));
  const known = list.repos.get(source.repo);
  let added = false;
  if (known === undefined) {
    if (source.repoUrl === undefined) {
      const names = [...list.repos.keys()];
      throw new KubePhaseError({
        step: 'helm-repo',
        argv: list.argv,
        problem: `helm has no repository ${source.repo} (helm repo list: ${names.length === 0 ? 'none' : names.join(', ')})`,
        next: `pass --repo-url URL to add it, or run \`helm repo add ${source.repo} URL\`; nothing was changed`,
      });
    }
    const url = source.repoUrl;
    await exec(1, () => tools.runCommand(repoAddCommand(tools, source, url), signal));
    added = true;
  }
  const offset = source.repoUrl === undefined ? 0 : 1;
  await exec(1 + offset, () => tools.runCommand(repoUpdateCommand(tools, source), signal));
  const search = await exec(2 + offset, () => searchVersions(tools, source, signal));
  const ref = chartRef(source);
  if (!search.versions.includes(version)) {
    throw new KubePhaseError({
      step: 'helm-repo',
      argv: search.argv,
      problem: `${ref} ${version} is not in repository ${source.repo}: ${search.versions.length === 0 ? 'it lists no version of that chart' : `versions listed: ${search.versions.join(', ')}`}`,
      next: `pass --version with one of those (or publish ${version} with \`airlift sync\`); nothing was changed`,
    });
  }
  return {
    outcome: 'done',
    detail: `repository ${source.repo} ${added ? `added from ${source.repoUrl ?? ''}` : `at ${known ?? ''}`}, updated; ${ref} ${version} listed (${search.versions.length} versions)`,
  };
}

/** `helm pull --untar` into pulled/, unless an earlier attempt of the run already unpacked it there. */
export async function pullChart(
  tools: KubeTools,
  pull: readonly string[],
  paths: KubePaths,
  exec: Exec,
  signal?: AbortSignal,
): Promise<StepOutcome> {
  if (await exists(join(paths.chartDir, 'Chart.yaml'))) {
    return { outcome: 'reused', detail: `${paths.chartDir} from an earlier attempt is kept` };
  }
  // helm pull --untar refuses an existing directory: a half-done earlier pull goes first.
  await rm(paths.pulledDir, { recursive: true, force: true });
  await exec(0, () => tools.runCommand(pull, signal));
  if (!(await exists(join(paths.chartDir, 'Chart.yaml')))) {
    throw new Error(`helm pull left no ${join(paths.chartDir, 'Chart.yaml')}`);
  }
  return { outcome: 'done', detail: `chart unpacked into ${paths.chartDir}` };
}

/** `kubectl apply -f <chart>/crds` when the pulled chart has CRDs. */
export async function applyPulledCrds(
  tools: KubeTools,
  paths: KubePaths,
  exec: Exec,
  signal?: AbortSignal,
): Promise<StepOutcome> {
  const files = await readdir(paths.crdsDir).catch(() => []);
  if (files.length === 0) return { outcome: 'skipped', detail: 'the pulled chart has no CRDs' };
  await exec(0, () => tools.applyCrds(paths.crdsDir, signal));
  return { outcome: 'done', detail: `${files.length} CRD files applied from ${paths.crdsDir}` };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
