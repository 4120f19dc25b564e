import type { ProgressView } from './progress-view.js';
import type { NodeResult } from './results-table.js';

/** What a run is about, once it has an id. */
export interface RunStart {
  readonly runId: string;
  readonly release: string;
  readonly namespace: string;
  readonly bundle: { readonly name: string; readonly version: string };
  readonly chartVersion: string;
  readonly nodes: readonly string[];
  /** Size of images.tar: what every node receives. */
  readonly bytesTotal: number;
  readonly imagesExpected: number;
  readonly runDir: string;
}

/** Why a run failed, as the runs bucket records it. */
export interface FailureNote {
  readonly phase: string;
  readonly message: string;
}

/** How a run ended. */
export interface RunEnd {
  readonly exitCode: number;
  /** The error that ended it outside the run's own failure handling (an unexpected error…). */
  readonly error?: string;
}

/**
 * Follows one upgrade run for the operator: text (bars or timestamped lines, a results table) or a
 * JSON event stream. The run's own lines for people go through its CliOutput, not through here.
 */
export interface RunObserver {
  /** The run drew its id and knows its nodes. */
  runStarted(start: RunStart): void;
  /** The live view of the distribution to `nodes`, each receiving `bytesTotal`. */
  distribution(nodes: readonly string[], bytesTotal: number): ProgressView;
  /** A step of the kube phase started or finished. */
  kubeStep(step: string, phase: string, detail: string): void;
  /** Every node's result, and the run's recorded failure if any, once the run has written run.json. */
  results(results: readonly NodeResult[], failure: FailureNote | undefined): void;
  /** The command is about to exit with `end.exitCode`. */
  runFinished(end: RunEnd): void;
}
