import cliProgress from 'cli-progress';
import type { JobEvent } from '../../shared/control/index.js';
import { formatBytes } from '../../shared/cli/index.js';

/** Where an upgrade shows what is happening; plain lines when not on a terminal. */
export interface ProgressView {
  /** A step of the run (preflight check, phase change…). */
  step(line: string): void;
  /** An agent event for one node. */
  event(event: JobEvent): void;
  /** Ends live output before the summary. */
  close(): void;
}

/** Live per-node bars (bytes, rate, phase) on a TTY. */
export class TtyProgressView implements ProgressView {
  private readonly bars = new cliProgress.MultiBar(
    {
      format: ' {node} [{bar}] {percentage}% {done}/{size} {rate}/s {phase}',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      autopadding: true,
    },
    cliProgress.Presets.shades_grey,
  );
  private readonly byNode = new Map<string, cliProgress.SingleBar>();
  private readonly width: number;

  constructor(nodes: readonly string[], total: number) {
    this.width = Math.max(...nodes.map((n) => n.length), 4);
    for (const node of nodes) {
      this.byNode.set(
        node,
        this.bars.create(total, 0, {
          node: node.padEnd(this.width),
          done: '0 B',
          // `total` is cli-progress's own field (the raw number); the label needs another name.
          size: formatBytes(total),
          rate: '0 B',
          phase: 'waiting',
        }),
      );
    }
  }

  step(line: string): void {
    this.bars.log(`${line}\n`);
  }

  event(event: JobEvent): void {
    const bar = this.byNode.get(event.node);
    if (bar === undefined) return;
    const body = event.body;
    if (body.type === 'phase') bar.update({ phase: body.phase });
    else if (body.type === 'progress') {
      bar.update(body.bytesDone, { done: formatBytes(body.bytesDone), rate: formatBytes(body.rate) });
    } else {
      bar.update({ phase: body.report.ok ? 'verified' : 'FAILED' });
    }
  }

  close(): void {
    this.bars.stop();
  }
}

/** One line per phase change and per 25% of bytes, for logs and CI. */
export class PlainProgressView implements ProgressView {
  private readonly lastQuarter = new Map<string, number>();

  constructor(private readonly write: (line: string) => void) {}

  step(line: string): void {
    this.write(line);
  }

  event(event: JobEvent): void {
    const body = event.body;
    if (body.type === 'phase') this.write(`  ${event.node}: ${body.phase}`);
    else if (body.type === 'progress') {
      const quarter = body.bytesTotal === 0 ? 4 : Math.floor((4 * body.bytesDone) / body.bytesTotal);
      if (quarter <= (this.lastQuarter.get(event.node) ?? 0)) return;
      this.lastQuarter.set(event.node, quarter);
      this.write(
        `  ${event.node}: ${formatBytes(body.bytesDone)}/${formatBytes(body.bytesTotal)} (${quarter * 25}%) at ${formatBytes(body.rate)}/s`,
      );
    } else {
      const verified = body.report.images.filter((i) => i.verified).length;
      this.write(
        `  ${event.node}: ${body.report.ok ? 'verified' : 'FAILED'} ${verified}/${body.report.images.length} references`,
      );
    }
  }

  close(): void {
    // Plain lines need no closing.
  }
}
