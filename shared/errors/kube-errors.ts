import { AirliftError } from './airlift-error.js';
import { ErrorCode } from './codes.js';

/** `helm status` / `helm get values` say the release does not exist in that namespace. */
export class ReleaseNotFoundError extends AirliftError {
  readonly code = ErrorCode.ReleaseNotFound;
  readonly release: string;
  readonly namespace: string;
  constructor(release: string, namespace: string, command: string, cause?: unknown) {
    super(
      `helm release ${release} was not found in namespace ${namespace}: check the release name and namespace with \`helm list -n ${namespace}\` (or \`helm list -A\`)`,
      { command },
      { cause },
    );
    this.release = release;
    this.namespace = namespace;
  }
}

/** The chart could not be written out of the bundle into a directory helm can read. */
export class ChartExtractError extends AirliftError {
  readonly code = ErrorCode.ChartExtractFailed;
  constructor(dir: string, problem: string, cause?: unknown) {
    super(`cannot extract the chart into ${dir}: ${problem}`, { file: dir }, { cause });
  }
}

/** The steps of the kube phase, in the order they run (helm-repo only with `upgrade --from-repo`). */
export const KUBE_PHASE_STEPS = [
  'helm-repo',
  'backup-values',
  'extract-chart',
  'apply-crds',
  'helm-upgrade',
] as const;
/** One step of the kube phase. */
export type KubePhaseStep = (typeof KUBE_PHASE_STEPS)[number];

/** What KubePhaseError knows about the failure. */
export interface KubePhaseFailure {
  readonly step: KubePhaseStep;
  /** What went wrong, e.g. the failed command's own error message. */
  readonly problem: string;
  /** What the operator should do next (where bak.yaml is, which command to run). */
  readonly next: string;
  /** The failed command, executable first; absent when no command failed (chart extraction). */
  readonly argv?: readonly string[];
  readonly exitCode?: number;
  readonly stderr?: string;
  readonly cause?: unknown;
}

/** A kube phase step failed; later steps did not run. */
export class KubePhaseError extends AirliftError {
  readonly code = ErrorCode.KubePhaseFailed;
  readonly step: KubePhaseStep;
  readonly argv: readonly string[] | undefined;
  readonly exitCode: number | undefined;
  readonly stderr: string;
  constructor(failure: KubePhaseFailure) {
    super(
      `kube phase stopped at step ${failure.step}: ${failure.problem}; ${failure.next}`,
      failure.argv === undefined ? {} : { command: failure.argv.join(' ') },
      { cause: failure.cause },
    );
    this.step = failure.step;
    this.argv = failure.argv;
    this.exitCode = failure.exitCode;
    this.stderr = failure.stderr ?? '';
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      step: this.step,
      argv: this.argv,
      exitCode: this.exitCode,
      stderr: this.stderr,
    };
  }
}
