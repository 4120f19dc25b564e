import { join, resolve } from 'node:path';
import { ConfigInvalidError, type KubePhaseStep } from '../../shared/errors/index.js';
import type { ChartSource } from './chart-extract.js';
import {
  chartRef,
  pullCommand,
  repoAddCommand,
  repoListCommand,
  repoUpdateCommand,
  searchCommand,
  type RepoChart,
} from './helm-repo.js';
import type { KubeTools, UpgradeRequest } from './kube-tools.js';

/** Where the kube phase keeps its files inside the run's directory. */
export interface KubePaths {
  readonly runDir: string;
  /** `helm get values` output, taken before anything changes; the way back. */
  readonly backupFile: string;
  /** The chart, extracted from the bundle's `original-chart/` (or pulled: `pulled/<chart>`). */
  readonly chartDir: string;
  /** `helm pull --untardir`: where a chart from a repository is unpacked (`--from-repo`). */
  readonly pulledDir: string;
  readonly crdsDir: string;
}

/** What the kube phase acts on. */
export interface KubePhaseTarget {
  readonly tools: KubeTools;
  /** The chart's source (and the images'); only `fromRepo` may go without it. */
  readonly bundle?: ChartSource;
  readonly release: string;
  readonly namespace: string;
  /** Passed as `--set global.imageRegistry=…`: the registry the nodes' images were retagged to. */
  readonly imageRegistry: string;
  /** Passed as `--version` only when given; required with fromRepo. */
  readonly version?: string;
  readonly runDir: string;
  /** The chart comes from this helm repository (`--from-repo`), not from the bundle. */
  readonly fromRepo?: RepoChart;
}

/** One step as it would run. */
export interface PlannedStep {
  readonly step: KubePhaseStep;
  /** Each command's argv, executable first; empty for extract-chart and for skipped steps. */
  readonly commands: readonly (readonly string[])[];
  readonly note: string;
}

/** Everything the kube phase would do, for `--dry-run`. */
export interface KubePlan {
  readonly paths: KubePaths;
  readonly steps: readonly PlannedStep[];
}

/** The kube phase's files under `runDir` (made absolute: they end up in helm's argv). */
export function kubePaths(runDir: string, fromRepo?: RepoChart): KubePaths {
  const dir = resolve(runDir);
  const pulledDir = join(dir, 'pulled');
  const chartDir = fromRepo === undefined ? join(dir, 'chart') : join(pulledDir, fromRepo.chart);
  return {
    runDir: dir,
    backupFile: join(dir, 'bak.yaml'),
    chartDir,
    pulledDir,
    crdsDir: join(chartDir, 'crds'),
  };
}

/** The exact argv the kube phase would run, in order; runs nothing and writes nothing. */
export function plan(target: KubePhaseTarget): KubePlan {
  if (target.fromRepo !== undefined) return repoPlan(target, target.fromRepo);
  const { tools, release, namespace, version } = target;
  const bundle = bundleOf(target);
  const paths = kubePaths(target.runDir);
  const { chart } = bundle.info;
  const hasCrds = chart.crds.length > 0;
  const upgrade = tools.upgradeCommand(upgradeRequestFor(target, paths));
  return {
    paths,
    steps: [
      {
        step: 'backup-values',
        commands: [tools.statusCommand(release, namespace), tools.getValuesCommand(release, namespace)],
        note: `the release's values are saved to ${paths.backupFile} (an existing bak.yaml is kept and helm get values is skipped)`,
      },
      {
        step: 'extract-chart',
        commands: [],
        note: `${chart.files.length} files of chart ${chart.name} ${chart.version} from ${bundle.info.file}!original-chart/ into ${paths.chartDir}`,
      },
      {
        step: 'apply-crds',
        commands: hasCrds ? [tools.applyCrdsCommand(paths.crdsDir)] : [],
        note: hasCrds ? `CRDs: ${chart.crds.join(', ')}` : 'the chart has no CRDs: skipped',
      },
      { step: 'helm-upgrade', commands: [upgrade], note: upgradeNote(chart.version, version) },
    ],
  };
}

/**
 * The helm-repository procedure: repo list (add when absent and a URL is given), repo update, search
 * --versions, get values, pull --untar, kubectl apply of the pulled crds/, helm upgrade REPO/CHART.
 */
function repoPlan(target: KubePhaseTarget, source: RepoChart): KubePlan {
  const { tools, release, namespace } = target;
  const version = requireVersion(target.version);
  const paths = kubePaths(target.runDir, source);
  const ref = chartRef(source);
  const { repoUrl } = source;
  return {
    paths,
    steps: [
      {
        step: 'helm-repo',
        commands: [
          repoListCommand(tools),
          ...(repoUrl === undefined ? [] : [repoAddCommand(tools, source, repoUrl)]),
          repoUpdateCommand(tools, source),
          searchCommand(tools, source),
        ],
        note: `repository ${source.repo} ${repoUrl === undefined ? 'must be in `helm repo list`' : `is added from ${repoUrl} unless \`helm repo list\` has it`}; ${ref} ${version} must be listed by helm search`,
      },
      {
        step: 'backup-values',
        commands: [tools.statusCommand(release, namespace), tools.getValuesCommand(release, namespace)],
        note: `the release's values are saved to ${paths.backupFile} (an existing bak.yaml is kept and helm get values is skipped)`,
      },
      {
        step: 'extract-chart',
        commands: [pullCommand(tools, source, version, paths.pulledDir)],
        note: `${ref} ${version} is pulled and unpacked into ${paths.chartDir}`,
      },
      {
        step: 'apply-crds',
        commands: [tools.applyCrdsCommand(paths.crdsDir)],
        note: `the pulled chart's CRDs, when it has a crds/ directory`,
      },
      {
        step: 'helm-upgrade',
        commands: [tools.upgradeCommand(upgradeRequestFor(target, paths))],
        note: `upgrades to ${ref} ${version}`,
      },
    ],
  };
}

/** The bundle the chart comes from; without --from-repo there must be one. */
export function bundleOf(target: KubePhaseTarget): ChartSource {
  if (target.bundle === undefined) {
    throw new ConfigInvalidError(
      'command line',
      '<bundle>',
      'the chart comes from the bundle unless --from-repo is given',
    );
  }
  return target.bundle;
}

/** `--version` is what selects the chart in a repository: the from-repo path needs it. */
export function requireVersion(version: string | undefined): string {
  if (version === undefined) {
    throw new ConfigInvalidError(
      'command line',
      '--version',
      'is required with --from-repo (the chart version to upgrade to)',
    );
  }
  return version;
}

/** The `helm upgrade` the phase runs: the manual procedure's arguments, from the target and its paths. */
export function upgradeRequestFor(target: KubePhaseTarget, paths: KubePaths): UpgradeRequest {
  const { release, namespace, imageRegistry, version, fromRepo } = target;
  return {
    release,
    chartDir: fromRepo === undefined ? paths.chartDir : chartRef(fromRepo),
    namespace,
    valuesFile: paths.backupFile,
    imageRegistry,
    ...(version === undefined ? {} : { version }),
  };
}

/** A warning when `--version` cannot mean what the operator expects; undefined when it is fine. */
export function versionMismatch(chartVersion: string, version: string | undefined): string | undefined {
  if (version === undefined || version === chartVersion) return undefined;
  // helm resolves a local chart directory as is; --version only selects among repository charts.
  return `--version ${version} differs from the bundle's chart version ${chartVersion}; helm ignores --version for a chart directory, so ${chartVersion} is what gets installed`;
}

function upgradeNote(chartVersion: string, version: string | undefined): string {
  return versionMismatch(chartVersion, version) ?? `upgrades to chart version ${chartVersion}`;
}
