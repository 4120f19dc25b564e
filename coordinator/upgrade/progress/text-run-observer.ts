import type { CliOutput } from '../../../shared/cli/index.js';
import type { Clock } from './fleet-progress.js';
import { PlainProgressView } from './plain-progress-view.js';
import type { ProgressView } from './progress-view.js';
import { formatResultsTable, type NodeResult } from './results-table.js';
import type { RunObserver } from './run-observer.js';
import { TtyProgressView } from './tty-progress-view.js';

/**
 * The run for people: live bars on a terminal, else one line per change (timestamped by `output`);
 * at the end the per-node results table and the run's total duration.
 */
export class TextRunObserver implements RunObserver {
  private readonly startedAt: number;
  private finalResults: readonly NodeResult[] | undefined;

  constructor(
    private readonly output: CliOutput,
    private readonly tty: boolean,
    private readonly clock: Clock = Date.now,
  ) {
    this.startedAt = clock();
  }

  runStarted(): void {
    // upgrade-run prints the run's id and directory itself.
  }

  distribution(nodes: readonly string[], bytesTotal: number): ProgressView {
    return this.tty
      ? new TtyProgressView(nodes, bytesTotal, this.clock)
      : new PlainProgressView(
          (line) => {
            this.output.out(line);
          },
          { nodes, bytesTotal, clock: this.clock },
        );
  }

  kubeStep(step: string, phase: string, detail: string): void {
    this.output.out(`  ${step} ${phase}: ${detail}`);
  }

  results(results: readonly NodeResult[]): void {
    this.finalResults = results;
  }

  runFinished(): void {
    if (this.finalResults === undefined) return;
    this.output.out('results:');
    for (const line of formatResultsTable(this.finalResults, this.clock() - this.startedAt))
      this.output.out(`  ${line}`);
  }
}
