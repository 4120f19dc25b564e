import type { Logger } from 'pino';
import { z } from 'zod';
import { CommandFailedError, ReleaseNotFoundError } from '../../shared/errors/index.js';
import type { CommandRunner } from '../../shared/exec/index.js';
import { firstIssue } from '../../shared/validation/index.js';
import { checkChartVersion, checkImageRegistry, checkNamespace, checkReleaseName } from './kube-arguments.js';

/** `helm upgrade` without `--wait` returns once the manifests are sent; 15 minutes covers slow API servers. */
export const DEFAULT_UPGRADE_TIMEOUT_MS = 15 * 60 * 1000;
/** Every other helm and kubectl command. */
export const DEFAULT_KUBE_COMMAND_TIMEOUT_MS = 2 * 60 * 1000;

/** How helm and kubectl are found and which cluster they talk to. */
export interface KubeToolsOptions {
  readonly runner: CommandRunner;
  /** The helm executable (default `helm` on PATH). */
  readonly helmPath?: string;
  /** The kubectl executable (default `kubectl` on PATH). */
  readonly kubectlPath?: string;
  /** Passed as `--kubeconfig` only when set; otherwise helm and kubectl use their own defaults. */
  readonly kubeconfig?: string;
  /** Passed as `--kube-context` (helm) and `--context` (kubectl) only when set. */
  readonly kubeContext?: string;
  readonly upgradeTimeoutMs?: number;
  readonly commandTimeoutMs?: number;
  /** Extra environment for helm and kubectl, over the process's own (PATH, HELM_*, KUBECONFIG…). */
  readonly env?: Readonly<Record<string, string>>;
  readonly logger?: Logger;
}

/** One finished command: exactly what ran (executable first) and what it printed. */
export interface ToolRun {
  readonly argv: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** The parts of `helm status -o json` airlift uses. */
export interface ReleaseStatus {
  readonly name: string;
  readonly namespace: string;
  readonly revision: number;
  /** deployed, failed, pending-upgrade, … */
  readonly status: string;
  readonly chartName: string;
  readonly chartVersion: string;
  readonly appVersion?: string;
}

/** The arguments of `helm upgrade` in the manual procedure. */
export interface UpgradeRequest {
  readonly release: string;
  /** A chart directory, or `REPO/CHART` from a helm repository (`--from-repo`). */
  readonly chartDir: string;
  readonly namespace: string;
  readonly valuesFile: string;
  readonly imageRegistry: string;
  readonly version?: string;
}

/** Versions reported by the operator's helm and kubectl. */
export interface ToolVersions {
  readonly helm: string;
  readonly kubectl: string;
  readonly runs: readonly ToolRun[];
}

const StatusJson = z.object({
  name: z.string(),
  namespace: z.string(),
  version: z.number(),
  info: z.object({ status: z.string() }),
  chart: z.object({
    metadata: z.object({ name: z.string(), version: z.string(), appVersion: z.string().optional() }),
  }),
});

const KubectlVersionJson = z.object({ clientVersion: z.object({ gitVersion: z.string() }) });

// helm 3 prints this for `status` and `get values` of a release that does not exist.
const RELEASE_NOT_FOUND = /release: not found/;

/** The operator's helm and kubectl, run through the CommandRunner with the manual procedure's argv. */
export class KubeTools {
  readonly helmPath: string;
  readonly kubectlPath: string;
  private readonly options: KubeToolsOptions;
  private readonly logger: Logger | undefined;

  constructor(options: KubeToolsOptions) {
    this.options = options;
    this.helmPath = options.helmPath ?? 'helm';
    this.kubectlPath = options.kubectlPath ?? 'kubectl';
    this.logger = options.logger?.child({ component: 'kube-tools' });
  }

  /** `helm status R -n NS -o json`. */
  statusCommand(release: string, namespace: string): readonly string[] {
    return this.helm(['status', checkReleaseName(release), '-n', checkNamespace(namespace), '-o', 'json']);
  }

  /** `helm get values R -n NS -o yaml`. */
  getValuesCommand(release: string, namespace: string): readonly string[] {
    return this.helm([
      'get',
      'values',
      checkReleaseName(release),
      '-n',
      checkNamespace(namespace),
      '-o',
      'yaml',
    ]);
  }

  /** `kubectl apply -f DIR`. */
  applyCrdsCommand(dir: string): readonly string[] {
    return this.kubectl(['apply', '-f', dir]);
  }

  /** `helm upgrade R CHART -n NS -f VALUES --set global.imageRegistry=REG [--version V]`. */
  upgradeCommand(request: UpgradeRequest): readonly string[] {
    return this.helm([
      'upgrade',
      checkReleaseName(request.release),
      request.chartDir,
      '-n',
      checkNamespace(request.namespace),
      '-f',
      request.valuesFile,
      '--set',
      `global.imageRegistry=${checkImageRegistry(request.imageRegistry)}`,
      ...(request.version === undefined ? [] : ['--version', checkChartVersion(request.version)]),
    ]);
  }

  /** `helm version --short` and `kubectl version --client -o json`: proves both binaries run. */
  async versions(signal?: AbortSignal): Promise<ToolVersions> {
    const helm = await this.run([this.helmPath, 'version', '--short'], this.commandTimeout, signal);
    const kubectl = await this.run(
      [this.kubectlPath, 'version', '--client', '-o', 'json'],
      this.commandTimeout,
      signal,
    );
    return {
      helm: helm.stdout.trim().split('\n')[0] ?? '',
      kubectl: parseKubectlVersion(kubectl.stdout),
      runs: [helm, kubectl],
    };
  }

  /** The release as helm sees it; ReleaseNotFoundError when it does not exist in that namespace. */
  async releaseStatus(
    release: string,
    namespace: string,
    signal?: AbortSignal,
  ): Promise<ToolRun & { readonly release: ReleaseStatus }> {
    const argv = this.statusCommand(release, namespace);
    const run = await this.runReleaseCommand(argv, release, namespace, signal);
    return { ...run, release: parseStatus(argv, run.stdout) };
  }

  /** The release's user-supplied values as YAML (stdout). */
  async getValues(release: string, namespace: string, signal?: AbortSignal): Promise<ToolRun> {
    return this.runReleaseCommand(this.getValuesCommand(release, namespace), release, namespace, signal);
  }

  /** Applies every manifest in `dir` (the chart's crds/). */
  async applyCrds(dir: string, signal?: AbortSignal): Promise<ToolRun> {
    return this.run(this.applyCrdsCommand(dir), this.commandTimeout, signal);
  }

  /** Upgrades the release from a chart directory (or REPO/CHART), keeping the backed-up values. */
  async upgrade(request: UpgradeRequest, signal?: AbortSignal): Promise<ToolRun> {
    return this.run(
      this.upgradeCommand(request),
      this.options.upgradeTimeoutMs ?? DEFAULT_UPGRADE_TIMEOUT_MS,
      signal,
    );
  }

  /** `helm ARGS… [--kubeconfig K] [--kube-context C]`: any helm command with this cluster's flags. */
  helmCommand(args: readonly string[]): readonly string[] {
    return this.helm(args);
  }

  /** Runs an argv built by helmCommand or kubectlCommand (default timeout: DEFAULT_KUBE_COMMAND_TIMEOUT_MS). */
  async runCommand(argv: readonly string[], signal?: AbortSignal, timeoutMs?: number): Promise<ToolRun> {
    return this.run(argv, timeoutMs ?? this.commandTimeout, signal);
  }

  /** Like runCommand, for an upgrade or rollback (the longer upgrade timeout). */
  async runLongCommand(argv: readonly string[], signal?: AbortSignal): Promise<ToolRun> {
    return this.run(argv, this.options.upgradeTimeoutMs ?? DEFAULT_UPGRADE_TIMEOUT_MS, signal);
  }

  private get commandTimeout(): number {
    return this.options.commandTimeoutMs ?? DEFAULT_KUBE_COMMAND_TIMEOUT_MS;
  }

  // Cluster flags go last: both CLIs accept global flags after the subcommand, and the manual
  // procedure's arguments stay a prefix of what runs.
  private helm(args: readonly string[]): readonly string[] {
    const { kubeconfig, kubeContext } = this.options;
    return [
      this.helmPath,
      ...args,
      ...(kubeconfig === undefined ? [] : ['--kubeconfig', kubeconfig]),
      ...(kubeContext === undefined ? [] : ['--kube-context', kubeContext]),
    ];
  }

  private kubectl(args: readonly string[]): readonly string[] {
    const { kubeconfig, kubeContext } = this.options;
    return [
      this.kubectlPath,
      ...args,
      ...(kubeconfig === undefined ? [] : ['--kubeconfig', kubeconfig]),
      ...(kubeContext === undefined ? [] : ['--context', kubeContext]),
    ];
  }

  private async runReleaseCommand(
    argv: readonly string[],
    release: string,
    namespace: string,
    signal: AbortSignal | undefined,
  ): Promise<ToolRun> {
    try {
      return await this.run(argv, this.commandTimeout, signal);
    } catch (err) {
      if (err instanceof CommandFailedError && RELEASE_NOT_FOUND.test(err.stderr)) {
        throw new ReleaseNotFoundError(release, namespace, argv.join(' '), err);
      }
      throw err;
    }
  }

  private async run(argv: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<ToolRun> {
    const [file, ...args] = argv;
    if (file === undefined) throw new Error('empty argv');
    this.logger?.info({ argv }, 'running');
    const result = await this.options.runner.run(file, args, {
      timeoutMs,
      // Out of the terminal's process group: Ctrl-C reaches airlift, which decides (kube-phase.ts).
      ownProcessGroup: true,
      ...(signal === undefined ? {} : { signal }),
      ...(this.options.env === undefined ? {} : { env: this.options.env }),
    });
    this.logger?.info({ argv, durationMs: result.durationMs }, 'finished');
    return { argv, stdout: result.stdout, stderr: result.stderr, durationMs: result.durationMs };
  }
}

function parseStatus(argv: readonly string[], stdout: string): ReleaseStatus {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch (err) {
    throw new CommandFailedError(argv.join(' '), undefined, 'printed something that is not JSON', err);
  }
  const parsed = StatusJson.safeParse(json);
  if (!parsed.success) {
    const issue = firstIssue(parsed.error);
    throw new CommandFailedError(
      argv.join(' '),
      undefined,
      `printed a status without ${issue.path} (${issue.message}); is this helm 3?`,
    );
  }
  const { name, namespace, version, info, chart } = parsed.data;
  const { appVersion } = chart.metadata;
  return {
    name,
    namespace,
    revision: version,
    status: info.status,
    chartName: chart.metadata.name,
    chartVersion: chart.metadata.version,
    ...(appVersion === undefined ? {} : { appVersion }),
  };
}

function parseKubectlVersion(stdout: string): string {
  try {
    const parsed = KubectlVersionJson.safeParse(JSON.parse(stdout));
    if (parsed.success) return parsed.data.clientVersion.gitVersion;
  } catch {
    // Old kubectl builds print text; the version is then only informational.
  }
  return 'unknown';
}
