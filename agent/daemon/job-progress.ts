import type { JobEventBody, NodePhase } from '../../shared/control/index.js';

/** What the heartbeat reports about the job in hand. */
export interface JobSnapshot {
  readonly jobId: string;
  readonly runId: string;
  readonly phase: string;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly startedAt: string;
}

/**
 * Tracks one job's phase and bytes, and turns byte counts into rate-limited progress events so a
 * fast transfer does not flood the bus (at most one event per `intervalMs`, plus the last one).
 */
export class JobProgress {
  private phase: NodePhase = 'accepted';
  private bytesDone = 0;
  private lastEmit = performance.now();
  private lastBytes = 0;
  private emitted = false;
  private readonly startedAt = new Date().toISOString();

  constructor(
    readonly jobId: string,
    readonly runId: string,
    private readonly bytesTotal: number,
    private readonly emit: (body: JobEventBody) => void,
    private readonly intervalMs = 500,
  ) {}

  /**
   * Moves to a new phase and tells the coordinator. Loading an archive whose every byte is already
   * here (an earlier attempt's spool) is importing from the start.
   */
  enter(phase: 'loading' | 'verifying' | 'done'): void {
    this.change(phase);
    if (phase === 'loading' && this.emitted && this.bytesDone >= this.bytesTotal) this.change('importing');
  }

  /**
   * Records bytes received so far; emits when the interval has passed or the transfer is complete.
   * The last byte while loading starts `importing`: the runtime still unpacks what it has read, which
   * for a large archive takes many seconds the operator would otherwise see as a stuck 100 %.
   */
  bytes(done: number): void {
    this.bytesDone = done;
    const now = performance.now();
    const complete = done >= this.bytesTotal;
    if (complete && this.phase === 'loading') {
      this.emitProgress(done, now);
      this.change('importing');
      return;
    }
    if (!complete && this.emitted && now - this.lastEmit < this.intervalMs) return;
    this.emitProgress(done, now);
  }

  private change(phase: NodePhase): void {
    this.phase = phase;
    this.emit({ type: 'phase', phase });
  }

  private emitProgress(done: number, now: number): void {
    const seconds = Math.max((now - this.lastEmit) / 1000, 0.001);
    const rate = Math.round((done - this.lastBytes) / seconds);
    this.emitted = true;
    this.lastEmit = now;
    this.lastBytes = done;
    this.emit({ type: 'progress', bytesDone: done, bytesTotal: this.bytesTotal, rate });
  }

  snapshot(): JobSnapshot {
    return {
      jobId: this.jobId,
      runId: this.runId,
      phase: this.phase,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      startedAt: this.startedAt,
    };
  }
}
