import { formatBytes, formatDuration } from '../../../shared/cli/index.js';
import type { NodeOutcome } from '../node-tracker.js';

/** How one node ended the run, as the final table and the JSON `run-finished` event give it. */
export interface NodeResult {
  readonly node: string;
  /** `skipped`: the node already held every image verified, so nothing was loaded. */
  readonly result: 'verified' | 'failed' | 'skipped';
  /** From the distribution's start (the jobs go out together) to the node's report; absent if none came. */
  readonly durationMs?: number;
  readonly bytesReceived: number;
  /** Bytes received per second over `durationMs`. */
  readonly averageRate?: number;
  readonly imagesVerified: number;
  readonly imagesExpected: number;
  /** Bytes fetched from the coordinator and from other nodes (when the node reported its transfer). */
  readonly bytesFromCoordinator?: number;
  readonly bytesFromPeers?: number;
  readonly problem?: string;
}

/** What the results need besides the outcomes. */
export interface ResultsContext {
  /** When the distribution started (epoch ms). */
  readonly startedAt: number;
  readonly imagesExpected: number;
  /** The address agents dial for the coordinator's pieces: what their transfer counts name it by. */
  readonly coordinatorAddress: string;
}

/** One result per node, in the run's node order. */
export function nodeResults(outcomes: readonly NodeOutcome[], context: ResultsContext): NodeResult[] {
  return outcomes.map((outcome) => {
    const report = outcome.report;
    const transfer = report?.transfer;
    const settled = outcome.settledAt === undefined ? undefined : Date.parse(outcome.settledAt);
    const durationMs =
      settled === undefined || Number.isNaN(settled) ? undefined : Math.max(0, settled - context.startedAt);
    const bytesReceived = transfer?.bytesReceived ?? 0;
    // A skip loads nothing; its transfer (if any) is what an earlier attempt's spool already held.
    const skipped = outcome.ok && report !== undefined && report.bytesLoaded === 0 && report.loadMs === 0;
    const sources = Object.entries(transfer?.bytesFromSource ?? {});
    const fromCoordinator = sources
      .filter(([address]) => address === context.coordinatorAddress)
      .reduce((sum, [, bytes]) => sum + bytes, 0);
    const fromPeers = sources.reduce((sum, [, bytes]) => sum + bytes, 0) - fromCoordinator;
    return {
      node: outcome.node,
      result: !outcome.ok ? 'failed' : skipped ? 'skipped' : 'verified',
      ...(durationMs === undefined ? {} : { durationMs }),
      bytesReceived,
      ...(durationMs === undefined || durationMs === 0
        ? {}
        : { averageRate: Math.round((bytesReceived * 1000) / durationMs) }),
      imagesVerified: report?.images.filter((image) => image.verified).length ?? 0,
      imagesExpected: context.imagesExpected,
      ...(transfer === undefined ? {} : { bytesFromCoordinator: fromCoordinator, bytesFromPeers: fromPeers }),
      ...(outcome.problem === undefined ? {} : { problem: outcome.problem }),
    };
  });
}

const LABEL: Record<NodeResult['result'], string> = {
  verified: 'verified',
  failed: 'FAILED',
  skipped: 'skipped (already verified)',
};

/** The per-node table and the run's total duration, as lines for people. */
export function formatResultsTable(results: readonly NodeResult[], totalMs: number): string[] {
  const header = [
    'NODE',
    'RESULT',
    'TIME',
    'RECEIVED',
    'AVG RATE',
    'IMAGES',
    'FROM PEERS',
    'FROM COORDINATOR',
  ];
  const rows = results.map((r) => [
    r.node,
    LABEL[r.result],
    r.durationMs === undefined ? '-' : formatDuration(r.durationMs),
    formatBytes(r.bytesReceived),
    r.averageRate === undefined ? '-' : `${formatBytes(r.averageRate)}/s`,
    `${r.imagesVerified}/${r.imagesExpected}`,
    r.bytesFromPeers === undefined ? '-' : formatBytes(r.bytesFromPeers),
    r.bytesFromCoordinator === undefined ? '-' : formatBytes(r.bytesFromCoordinator),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const problems = results.flatMap((r) => (r.problem === undefined ? [] : [`  ${r.node}: ${r.problem}`]));
  return [
    line(header),
    ...rows.map(line),
    ...(problems.length === 0 ? [] : ['problems:', ...problems]),
    `total duration ${formatDuration(totalMs)}`,
  ];
}
