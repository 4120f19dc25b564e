import { randomBytes } from 'node:crypto';
import { access, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import {
  ChartExtractError,
  CommandFailedError,
  CommandTimedOutError,
  KubePhaseError,
  type KubePhaseStep,
} from '../../shared/errors/index.js';
import { extractChart, findChartDifference } from './chart-extract.js';
import { formatArgv } from './format-argv.js';
import {
  bundleOf,
  plan,
  upgradeRequestFor,
  versionMismatch,
  type KubePaths,
  type KubePhaseTarget,
} from './kube-plan.js';
import type { ReleaseStatus } from './kube-tools.js';
import { applyPulledCrds, prepareRepo, pullChart, type Exec } from './repo-steps.js';
import { writeFileOnce } from './write-once.js';

/** Progress callback: `start` before a step, `done` after it, with a line a human can read. */
export type KubeStepListener = (step: KubePhaseStep, phase: 'start' | 'done', detail: string) => void;

/** Options of runKubePhase. */
export interface KubePhaseOptions extends KubePhaseTarget {
  /** Kills the running command (its own process group included) and stops the phase. */
  readonly signal?: AbortSignal;
  /**
   * Stops the phase at the next step boundary without touching the running command: helm killed
   * mid-upgrade leaves the release pending-upgrade, so an operator's Ctrl-C lets it finish. Once
   * aborted, no further step starts and the phase ends with a KubePhaseError naming the step that was
   * running (also when that was the last one and it succeeded: the caller asked to stop and says so).
   */
  readonly interrupt?: AbortSignal;
  /** The command about to run (argv, executable first), then undefined once it ended. */
  readonly onCommand?: (argv: readonly string[] | undefined) => void;
  readonly onStep?: KubeStepListener;
  readonly logger?: Logger;
}

/** One command the phase ran. */
export interface CommandRecord {
  readonly argv: readonly string[];
  readonly durationMs: number;
}

/** How one step ended: `reused` when an earlier attempt of the run already did it. */
export interface KubeStepResult {
  readonly step: KubePhaseStep;
  readonly outcome: 'done' | 'reused' | 'skipped';
  readonly commands: readonly CommandRecord[];
  readonly durationMs: number;
  readonly detail: string;
}

/** What the kube phase did. */
export interface KubePhaseSummary {
  readonly paths: KubePaths;
  /** The release as it was before the upgrade. */
  readonly before: ReleaseStatus;
  readonly steps: readonly KubeStepResult[];
}

type StepBody = (exec: Exec) => Promise<{ outcome: KubeStepResult['outcome']; detail: string }>;

/**
 * Backs up the release's values, extracts the chart, applies its CRDs and runs `helm upgrade`, with
 * the manual procedure's argv. Stops at the first failure with a KubePhaseError; safe to run again
 * for the same run directory (`airlift resume`): bak.yaml from the first attempt is never replaced.
 */
export async function runKubePhase(options: KubePhaseOptions): Promise<KubePhaseSummary> {
  const { tools, release, namespace, version, signal, interrupt, onStep } = options;
  const logger = options.logger?.child({ component: 'kube-phase', release, namespace });
  const planned = plan(options); // validates the names before anything runs
  const { paths } = planned;
  const steps: KubeStepResult[] = [];
  let before: ReleaseStatus | undefined;
  // The step running when `interrupt` fired (or the next one, between steps).
  let running: KubePhaseStep | undefined;
  let interruptedIn: KubePhaseStep | undefined;
  const onInterrupt = (): void => {
    interruptedIn ??= running;
  };
  interrupt?.addEventListener('abort', onInterrupt, { once: true });

  const runStep = async (step: KubePhaseStep, body: StepBody): Promise<void> => {
    const commands = planned.steps.find((s) => s.step === step)?.commands ?? [];
    const started = performance.now();
    const records: CommandRecord[] = [];
    // The command running when something fails; undefined between commands.
    let current: readonly string[] | undefined;
    const exec: Exec = async (index, call) => {
      current = commands[index];
      options.onCommand?.(current);
      try {
        const run = await call();
        records.push({ argv: run.argv, durationMs: run.durationMs });
        current = undefined;
        return run;
      } finally {
        options.onCommand?.(undefined);
      }
    };
    if (interrupt?.aborted === true)
      throw interrupted(interruptedIn ?? step, steps, interrupt, paths, options);
    running = step;
    try {
      if (signal?.aborted === true) throw new Error('cancelled before the step started');
      const startDetail = commands.length > 0 ? commands.map(formatArgv).join('; ') : noteOf(step);
      onStep?.(step, 'start', startDetail);
      logger?.info({ step, commands }, 'kube phase step started');
      const { outcome, detail } = await body(exec);
      const result = { step, outcome, commands: records, durationMs: elapsed(started), detail };
      steps.push(result);
      logger?.info({ step, outcome, durationMs: result.durationMs }, 'kube phase step done');
      onStep?.(step, 'done', detail);
    } catch (err) {
      throw phaseError(step, current, err, paths, options);
    } finally {
      running = undefined;
    }
  };
  const noteOf = (step: KubePhaseStep): string => planned.steps.find((s) => s.step === step)?.note ?? '';

  try {
    await runAllSteps();
  } finally {
    interrupt?.removeEventListener('abort', onInterrupt);
  }
  if (interrupt?.aborted === true)
    throw interrupted(interruptedIn ?? 'helm-upgrade', steps, interrupt, paths, options);
  if (before === undefined) throw new Error('unreachable: backup-values sets the release status');
  return { paths, before, steps };

  async function runAllSteps(): Promise<void> {
    const { fromRepo } = options;
    if (fromRepo !== undefined) {
      const wanted = version ?? '';
      await runStep('helm-repo', (exec) => prepareRepo(tools, fromRepo, wanted, exec, signal));
    }
    await runStep('backup-values', async (exec) => {
      // 0700: bak.yaml holds whatever the release's values hold, passwords included.
      await mkdir(paths.runDir, { recursive: true, mode: 0o700 });
      const status = await exec(0, () => tools.releaseStatus(release, namespace, signal));
      before = status.release;
      if (before.status.startsWith('pending-')) {
        throw new KubePhaseError({
          step: 'backup-values',
          argv: status.argv,
          problem: `release ${release} is ${before.status}: another helm operation is running or was interrupted`,
          next: `nothing was changed; wait for it to finish or roll it back (\`helm rollback ${release} -n ${namespace}\`), then run \`airlift resume <run id>\``,
        });
      }
      const was = `release ${release}: chart ${before.chartName} ${before.chartVersion}, ${before.status}, revision ${before.revision}`;
      if (await exists(paths.backupFile)) {
        return {
          outcome: 'reused',
          detail: `${was}; bak.yaml from an earlier attempt is kept at ${paths.backupFile} (helm get values not run again)`,
        };
      }
      const values = await exec(1, () => tools.getValues(release, namespace, signal));
      const registry = registryIn(values.stdout);
      // The runner strips the final newline; bak.yaml keeps helm's output byte for byte.
      const text = values.stdout === '' ? '' : `${values.stdout}\n`;
      const written = await writeFileOnce(paths.backupFile, text);
      const where = written
        ? `values saved to ${paths.backupFile}`
        : `bak.yaml appeared meanwhile and is kept at ${paths.backupFile}`;
      return {
        outcome: written ? 'done' : 'reused',
        detail: `${was}; ${where}${registry === undefined ? '' : ` (global.imageRegistry was ${registry})`}`,
      };
    });

    if (fromRepo !== undefined) {
      const pull = planned.steps.find((s) => s.step === 'extract-chart')?.commands[0] ?? [];
      await runStep('extract-chart', (exec) => pullChart(tools, pull, paths, exec, signal));
      await runStep('apply-crds', (exec) => applyPulledCrds(tools, paths, exec, signal));
      await runStep('helm-upgrade', async (exec) => {
        const run = await exec(0, () => tools.upgrade(upgradeRequestFor(options, paths), signal));
        return { outcome: 'done', detail: run.stdout.split('\n')[0] ?? `release ${release} upgraded` };
      });
      return;
    }
    const bundle = bundleOf(options);
    await runStep('extract-chart', async () => {
      const entries = await readdir(paths.chartDir).catch(() => []);
      if (entries.length > 0) {
        const difference = await findChartDifference(bundle, paths.chartDir);
        if (difference !== undefined) {
          throw new ChartExtractError(
            paths.chartDir,
            `it holds an earlier extraction that differs from the bundle's chart (${difference}); remove the directory to extract it again`,
          );
        }
        return {
          outcome: 'reused',
          detail: `${paths.chartDir} from an earlier attempt matches the bundle; kept`,
        };
      }
      // Extract beside it, then rename: a crash never leaves a half-written chart/ to be reused.
      const staging = join(paths.runDir, `.chart-${randomBytes(4).toString('hex')}`);
      try {
        const extracted = await extractChart(bundle, staging);
        await rename(staging, paths.chartDir);
        return {
          outcome: 'done',
          detail: `${extracted.files} chart files (${extracted.bytes} bytes) written to ${paths.chartDir}`,
        };
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
    });

    await runStep('apply-crds', async (exec) => {
      const { crds } = bundle.info.chart;
      if (crds.length === 0) return { outcome: 'skipped', detail: 'the chart has no CRDs' };
      await exec(0, () => tools.applyCrds(paths.crdsDir, signal));
      return { outcome: 'done', detail: `${crds.length} CRD files applied from ${paths.crdsDir}` };
    });

    const mismatch = versionMismatch(bundle.info.chart.version, version);
    if (mismatch !== undefined) logger?.warn({ version }, mismatch);
    await runStep('helm-upgrade', async (exec) => {
      const run = await exec(0, () => tools.upgrade(upgradeRequestFor(options, paths), signal));
      return { outcome: 'done', detail: run.stdout.split('\n')[0] ?? `release ${release} upgraded` };
    });
  }
}

/**
 * The phase was interrupted: `step` was running (and was let finish) or about to start. Says what was
 * done, so the operator knows whether the release was upgraded.
 */
function interrupted(
  step: KubePhaseStep,
  done: readonly KubeStepResult[],
  interrupt: AbortSignal,
  paths: KubePaths,
  target: KubePhaseTarget,
): KubePhaseError {
  const reason = interrupt.reason instanceof Error ? interrupt.reason.message : 'interrupted';
  const finished = done.find((s) => s.step === step);
  const what =
    finished === undefined
      ? `${reason} before step ${step} started`
      : `${reason} during step ${step}; its command was let finish and it succeeded${step === 'helm-upgrade' ? ' (the release is upgraded)' : ''}`;
  const ran = done.map((s) => `${s.step} ${s.outcome}`).join(', ');
  return new KubePhaseError({
    step,
    problem: `${what}; no further step was started${ran === '' ? '' : ` (steps finished: ${ran})`}`,
    next: nextAction(step, paths, target, undefined),
  });
}

function phaseError(
  step: KubePhaseStep,
  argv: readonly string[] | undefined,
  err: unknown,
  paths: KubePaths,
  target: KubePhaseTarget,
): KubePhaseError {
  if (err instanceof KubePhaseError) return err;
  const failed = err instanceof CommandFailedError ? err : undefined;
  return new KubePhaseError({
    step,
    problem: err instanceof Error ? err.message : String(err),
    next: nextAction(step, paths, target, err),
    ...(argv === undefined ? {} : { argv }),
    ...(failed?.exitCode === undefined ? {} : { exitCode: failed.exitCode }),
    ...(failed === undefined ? {} : { stderr: failed.stderr }),
    cause: err,
  });
}

/** What to do after `step` failed: where the backup is and how to carry on. */
function nextAction(step: KubePhaseStep, paths: KubePaths, target: KubePhaseTarget, err: unknown): string {
  const { release, namespace } = target;
  const resume = 'fix the cause and run `airlift resume <run id>` (it keeps this run directory)';
  const kept = `bak.yaml is kept at ${paths.backupFile}`;
  switch (step) {
    case 'helm-repo':
      return `nothing in the cluster was changed; ${resume}`;
    case 'backup-values':
      return `nothing in the cluster was changed; ${resume}`;
    case 'extract-chart':
      return `nothing in the cluster was changed; ${kept}; ${resume}`;
    case 'apply-crds':
      return `the release was not upgraded (some CRDs may be applied already; applying them again is safe); ${kept}; ${resume}`;
    case 'helm-upgrade': {
      const interrupted =
        err instanceof CommandTimedOutError ||
        (err instanceof CommandFailedError && err.message.includes('(aborted)'))
          ? `helm was stopped mid-upgrade, so the release may be left pending-upgrade: if \`helm status ${release} -n ${namespace}\` says so, run \`helm rollback ${release} -n ${namespace}\` first; `
          : '';
      return `${interrupted}${kept} (the values from before the upgrade); check \`helm status ${release} -n ${namespace}\` and \`helm history ${release} -n ${namespace}\`, ${resume}, or go back to the revision from before the run with \`airlift rollback <run id>\``;
    }
  }
}

/**
 * global.imageRegistry in `helm get values` output (for the progress line). Throws when the output is
 * not a YAML map: `helm upgrade -f` would reject it, and a backup that cannot be restored is no backup.
 */
function registryIn(yamlText: string): string | undefined {
  let values: unknown;
  try {
    values = parseYaml(yamlText);
  } catch (err) {
    throw new Error(`helm get values printed something that is not YAML, so bak.yaml was not written`, {
      cause: err,
    });
  }
  if (values === null || values === undefined) return undefined;
  if (typeof values !== 'object' || Array.isArray(values)) {
    throw new Error('helm get values printed YAML that is not a map of values, so bak.yaml was not written');
  }
  const global = (values as { global?: unknown }).global;
  const registry = (global as { imageRegistry?: unknown } | undefined)?.imageRegistry;
  return typeof registry === 'string' ? registry : undefined;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
