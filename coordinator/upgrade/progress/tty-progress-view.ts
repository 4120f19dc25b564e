import cliProgress from 'cli-progress';
import type { JobEvent } from '../../../shared/control/index.js';
import { formatBytes } from '../../../shared/cli/index.js';
import { FleetProgress, type Clock, type NodeProgress } from './fleet-progress.js';
import type { ProgressView } from './progress-view.js';
import { formatClock } from './time-format.js';

/** The fields of one node's bar. */
export interface NodeBarFields {
  readonly node: string;
  readonly done: string;
  readonly size: string;
  readonly rate: string;
  readonly phase: string;
  /** Time since the jobs went out (until the node's report). */
  readonly took: string;
  /** Time left for the bytes, at the average rate so far. */
  readonly left: string;
}

/** The fields of the fleet's total line. */
export interface TotalBarFields {
  readonly done: string;
  readonly size: string;
  readonly rate: string;
  /** Time since the jobs went out (until the node's report). */
  readonly took: string;
  /** Time left for the bytes, at the average rate so far. */
  readonly left: string;
  readonly verdicts: string;
}

/** One node's bar fields; `width` pads the name so bars line up. */
export function nodeBarFields(fleet: FleetProgress, node: NodeProgress, width: number): NodeBarFields {
  const transferring = node.phase === 'loading' || node.phase === 'waiting' || node.phase === 'accepted';
  return {
    node: node.node.padEnd(width),
    done: formatBytes(node.bytesDone),
    // `total` is cli-progress's own field (the raw number); the label needs another name.
    size: formatBytes(node.bytesTotal),
    rate: `${formatBytes(node.rate)}/s`,
    phase: node.phase.padEnd('verifying'.length),
    took: formatClock(fleet.elapsedMs(node)),
    left: transferring ? formatClock(fleet.etaMs(node)) : '-',
  };
}

/** The fleet's total line: all nodes' bytes, their summed rate, the ETA, verified and failed of N. */
export function totalBarFields(fleet: FleetProgress): TotalBarFields {
  const t = fleet.totals();
  return {
    done: formatBytes(t.bytesDone),
    size: formatBytes(t.bytesTotal),
    rate: `${formatBytes(t.rate)}/s`,
    took: formatClock(t.elapsedMs),
    left: formatClock(t.etaMs),
    verdicts: `${t.verified} verified, ${t.failed} failed of ${t.nodes}`,
  };
}

// Most telling first: a narrow terminal cuts the end of the line. `eta` and `duration` are
// cli-progress's own tokens (from its rate guess), hence `left` and `took`.
const NODE_FORMAT = ' {node} [{bar}] {percentage}% {phase} {done}/{size} {rate} {took} ETA {left}';
const TOTAL_FORMAT = ' {node} [{bar}] {percentage}% {verdicts} {done}/{size} {rate} {took} ETA {left}';
/** Columns of a node line besides its name and bar, at their widest. */
const TEXT_COLUMNS = 72;

/** Live per-node bars (bytes, rate, phase, elapsed, ETA) and a fleet total line, on a TTY. */
export class TtyProgressView implements ProgressView {
  private readonly bars: cliProgress.MultiBar;
  private readonly byNode = new Map<string, cliProgress.SingleBar>();
  private readonly total: cliProgress.SingleBar;
  private readonly fleet: FleetProgress;
  private readonly width: number;
  private readonly ticker: NodeJS.Timeout;

  constructor(nodes: readonly string[], bytesTotal: number, clock: Clock = Date.now) {
    this.fleet = new FleetProgress(nodes, bytesTotal, clock);
    this.width = Math.max(...nodes.map((n) => n.length), 'total'.length);
    const columns = process.stdout.columns > 0 ? process.stdout.columns : 120;
    this.bars = new cliProgress.MultiBar(
      {
        barsize: Math.max(10, Math.min(30, columns - this.width - TEXT_COLUMNS)),
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        autopadding: true,
      },
      cliProgress.Presets.shades_grey,
    );
    for (const node of nodes) {
      const progress = this.fleet.node(node);
      if (progress === undefined) continue;
      const fields = nodeBarFields(this.fleet, progress, this.width);
      this.byNode.set(node, this.bars.create(bytesTotal, 0, fields, { format: NODE_FORMAT }));
    }
    this.total = this.bars.create(
      bytesTotal * nodes.length,
      0,
      { node: 'total'.padEnd(this.width), ...totalBarFields(this.fleet) },
      { format: TOTAL_FORMAT },
    );
    // Elapsed and ETA move even while no event arrives (an import can take many seconds).
    this.ticker = setInterval(() => {
      this.refresh();
    }, 1000);
    this.ticker.unref();
  }

  step(line: string): void {
    this.bars.log(`${line}\n`);
  }

  event(event: JobEvent): void {
    const node = this.fleet.apply(event);
    const bar = this.byNode.get(event.node);
    if (node === undefined || bar === undefined) return;
    bar.update(node.bytesDone, nodeBarFields(this.fleet, node, this.width));
    this.refreshTotal();
  }

  close(): void {
    clearInterval(this.ticker);
    this.refresh();
    this.bars.stop();
  }

  private refresh(): void {
    for (const [name, bar] of this.byNode) {
      const node = this.fleet.node(name);
      if (node !== undefined) bar.update(node.bytesDone, nodeBarFields(this.fleet, node, this.width));
    }
    this.refreshTotal();
  }

  private refreshTotal(): void {
    const fields = totalBarFields(this.fleet);
    this.total.update(this.fleet.totals().bytesDone, fields);
  }
}
