import type { JobEvent } from '../../../shared/control/index.js';
import { failureOf } from '../run-events.js';
import type { Clock } from './fleet-progress.js';
import type { ProgressView } from './progress-view.js';
import type { NodeResult } from './results-table.js';
import type { FailureNote, RunEnd, RunObserver, RunStart } from './run-observer.js';

/** The least time between two `node-progress` events of one node (the last byte is always sent). */
export const JSON_PROGRESS_INTERVAL_MS = 1000;

/**
 * The run as NDJSON on stdout: one object per line, each with `type`, `at` (ISO time) and `runId`
 * (null until the run drew its id). Field names are documented in README.md ("Machine-readable output").
 */
export class JsonRunObserver implements RunObserver {
  private runId: string | null = null;
  private readonly startedAt: number;
  private finalResults: readonly NodeResult[] = [];
  private failure: FailureNote | undefined;

  constructor(
    private readonly write: (line: string) => void,
    private readonly clock: Clock = Date.now,
    private readonly progressIntervalMs = JSON_PROGRESS_INTERVAL_MS,
  ) {
    this.startedAt = clock();
  }

  /** Writes one event. */
  emit(type: string, fields: Record<string, unknown> = {}): void {
    this.write(
      JSON.stringify({ type, at: new Date(this.clock()).toISOString(), runId: this.runId, ...fields }),
    );
  }

  /** A line the run wrote for people, as a `step` event. */
  step(message: string): void {
    this.emit('step', { message });
  }

  runStarted(start: RunStart): void {
    this.runId = start.runId;
    this.emit('run-started', { ...start, nodes: [...start.nodes] });
  }

  distribution(): ProgressView {
    const lastProgress = new Map<string, number>();
    return {
      step: (line) => {
        this.step(line);
      },
      event: (event) => {
        this.jobEvent(event, lastProgress);
      },
      close: () => undefined,
    };
  }

  kubeStep(step: string, phase: string, detail: string): void {
    this.emit('kube-step', { step, phase, detail });
  }

  results(results: readonly NodeResult[], failure: FailureNote | undefined): void {
    this.finalResults = results;
    this.failure = failure;
  }

  runFinished(end: RunEnd): void {
    this.emit('run-finished', {
      exitCode: end.exitCode,
      ok: end.exitCode === 0,
      durationMs: this.clock() - this.startedAt,
      results: this.finalResults,
      ...(this.failure === undefined ? {} : { failure: this.failure }),
      ...(end.error === undefined ? {} : { error: end.error }),
    });
  }

  private jobEvent(event: JobEvent, lastProgress: Map<string, number>): void {
    const body = event.body;
    const node = event.node;
    if (body.type === 'phase') this.emit('node-phase', { node, phase: body.phase });
    else if (body.type === 'progress') {
      const now = this.clock();
      const last = lastProgress.get(node);
      const complete = body.bytesDone >= body.bytesTotal;
      if (!complete && last !== undefined && now - last < this.progressIntervalMs) return;
      lastProgress.set(node, now);
      this.emit('node-progress', {
        node,
        bytesDone: body.bytesDone,
        bytesTotal: body.bytesTotal,
        rate: body.rate,
      });
    } else {
      const report = body.report;
      this.emit('node-report', {
        node,
        ok: report.ok,
        imagesVerified: report.images.filter((i) => i.verified).length,
        imagesTotal: report.images.length,
        bytesLoaded: report.bytesLoaded,
        totalMs: report.totalMs,
        ...failureOf(report),
      });
    }
  }
}
