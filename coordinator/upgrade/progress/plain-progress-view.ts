import type { JobEvent } from '../../../shared/control/index.js';
import { formatBytes } from '../../../shared/cli/index.js';
import { FleetProgress, type Clock } from './fleet-progress.js';
import type { ProgressView } from './progress-view.js';
import { formatClock } from './time-format.js';

/**
 * One line per phase change and per 25% of bytes, for logs and CI; the lines' timestamps come from
 * the output they are written to.
 */
export class PlainProgressView implements ProgressView {
  private readonly lastQuarter = new Map<string, number>();
  private readonly fleet: FleetProgress | undefined;

  /** With `nodes` (and a clock), lines also say the elapsed time and ETA. */
  constructor(
    private readonly write: (line: string) => void,
    fleet?: { readonly nodes: readonly string[]; readonly bytesTotal: number; readonly clock?: Clock },
  ) {
    this.fleet =
      fleet === undefined
        ? undefined
        : new FleetProgress(fleet.nodes, fleet.bytesTotal, fleet.clock ?? Date.now);
  }

  step(line: string): void {
    this.write(line);
  }

  event(event: JobEvent): void {
    const node = this.fleet?.apply(event);
    const elapsed =
      this.fleet === undefined || node === undefined
        ? ''
        : ` after ${formatClock(this.fleet.elapsedMs(node))}`;
    const body = event.body;
    if (body.type === 'phase') this.write(`  ${event.node}: ${body.phase}${elapsed}`);
    else if (body.type === 'progress') {
      const quarter = body.bytesTotal === 0 ? 4 : Math.floor((4 * body.bytesDone) / body.bytesTotal);
      if (quarter <= (this.lastQuarter.get(event.node) ?? 0)) return;
      this.lastQuarter.set(event.node, quarter);
      const eta =
        this.fleet === undefined || node === undefined || quarter >= 4
          ? ''
          : `, ETA ${formatClock(this.fleet.etaMs(node))}`;
      this.write(
        `  ${event.node}: ${formatBytes(body.bytesDone)}/${formatBytes(body.bytesTotal)} (${quarter * 25}%) at ${formatBytes(body.rate)}/s${elapsed}${eta}`,
      );
    } else {
      const verified = body.report.images.filter((i) => i.verified).length;
      this.write(
        `  ${event.node}: ${body.report.ok ? 'verified' : 'FAILED'} ${verified}/${body.report.images.length} references${elapsed}`,
      );
    }
  }

  close(): void {
    // Plain lines need no closing.
  }
}
