import { join, resolve } from 'node:path';
import type { KubePhaseStep } from '../../shared/errors/index.js';
import type { ChartSource } from './chart-extract.js';
import type { KubeTools, UpgradeRequest } from './kube-tools.js';

/** Where the kube phase keeps its files inside the run's directory. */
export interface KubePaths {
  readonly runDir: string;
  /** `helm get values` output, taken before anything changes; the way back. */
  readonly backupFile: string;
  /** The chart, extracted from the bundle's `original-chart/`. */
  readonly chartDir: string;
  readonly crdsDir: string;
}

/** What the kube phase acts on. */
export interface KubePhaseTarget {
  readonly tools: KubeTools;
  readonly bundle: ChartSource;
  readonly release: string;
  readonly namespace: string;
  /** Passed as `--set global.imageRegistry=…`: the registry the nodes' images were retagged to. */
  readonly imageRegistry: string;
  /** Passed as `--version` only when given. */
  readonly version?: string;
  readonly runDir: string;
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
export function kubePaths(runDir: string): KubePaths {
  const dir = resolve(runDir);
  const chartDir = join(dir, 'chart');
  return { runDir: dir, backupFile: join(dir, 'bak.yaml'), chartDir, crdsDir: join(chartDir, 'crds') };
}

/** The exact argv the kube phase would run, in order; runs nothing and writes nothing. */
export function plan(target: KubePhaseTarget): KubePlan {
  const { tools, bundle, release, namespace, version } = target;
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

/** The `helm upgrade` the phase runs: the manual procedure's arguments, from the target and its paths. */
export function upgradeRequestFor(target: KubePhaseTarget, paths: KubePaths): UpgradeRequest {
  const { release, namespace, imageRegistry, version } = target;
  return {
    release,
    chartDir: paths.chartDir,
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
