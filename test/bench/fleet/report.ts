import type { PhaseResult } from './measure.js';
import type { BenchOptions, PhaseName } from './options.js';

/** Everything measured for one fleet size. */
export interface StepResult {
  readonly nodes: number;
  readonly phases: readonly PhaseResult[];
  /** Each phase's time over T_floor, and the baseline's and star's over airlift's, where both exist. */
  readonly ratios: Readonly<Record<string, number>>;
}

/** The whole run, as `--json` prints it. */
export interface BenchReport {
  readonly machine: Readonly<Record<string, string | number>>;
  readonly options: BenchOptions;
  readonly archive: { readonly sizeBytes: number; readonly references: number };
  readonly steps: readonly StepResult[];
  readonly totalSeconds: number;
}

const MiB = 1024 * 1024;

/** Ratios of one step's phase times. */
export function ratiosOf(phases: readonly PhaseResult[]): Record<string, number> {
  const time = (name: PhaseName): number | undefined => phases.find((p) => p.phase === name)?.seconds;
  const ratios: Record<string, number> = {};
  const put = (key: string, over: number | undefined, under: number | undefined): void => {
    if (over !== undefined && under !== undefined && under > 0) ratios[key] = round(over / under, 2);
  };
  put('airliftOverFloor', time('airlift'), time('floor'));
  put('starOverFloor', time('star'), time('floor'));
  put('baselineOverFloor', time('baseline'), time('floor'));
  put('baselineOverAirlift', time('baseline'), time('airlift'));
  // Against the payload-only S / B as well, so the measured link term can be told apart.
  const nominal = phases.find((p) => p.phase === 'floor')?.detail['nominalLinkSeconds'];
  put('airliftOverNominalLink', time('airlift'), nominal);
  put('starOverAirlift', time('star'), time('airlift'));
  return ratios;
}

/** Human-readable tables, one per fleet size. */
export function formatTables(report: BenchReport): string {
  const { options, archive } = report;
  const rate = Math.min(options.rateMbit, options.coordinatorRateMbit);
  const lines: string[] = [];
  for (const step of report.steps) {
    lines.push(
      `N = ${step.nodes}   S = ${(archive.sizeBytes / MiB).toFixed(1)} MiB   B = ${options.rateMbit} Mbit/s ` +
        `(coordinator ${options.coordinatorRateMbit})   S/B = ${((archive.sizeBytes * 8) / (rate * 1e6)).toFixed(1)} s   ` +
        `pieces ${Math.round(options.pieceMiB * 1024)} KiB   airlift ${options.distribution}` +
        (options.distribution === 'tree' ? ` (${options.stripes} stripes)` : ''),
    );
    const rows = [
      [
        'phase',
        'time s',
        '× floor',
        'CPU % machine mean/peak',
        'bench mean/peak',
        'coord sent MiB',
        'RSS coord/agent MiB',
        'detail',
      ],
      ...step.phases.map((phase) => row(phase, step)),
    ];
    lines.push(...columns(rows), '');
    const ratios = Object.entries(step.ratios).map(([key, value]) => `${key} ${value}`);
    if (ratios.length > 0) lines.push(`ratios: ${ratios.join(', ')}`, '');
  }
  lines.push(
    `machine: ${Object.entries(report.machine)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  lines.push(`total ${report.totalSeconds.toFixed(0)} s`);
  return `${lines.join('\n')}\n`;
}

function row(phase: PhaseResult, step: StepResult): string[] {
  const floor = step.phases.find((p) => p.phase === 'floor')?.seconds;
  const mib = (bytes: number | undefined): string => (bytes === undefined ? '-' : (bytes / MiB).toFixed(1));
  const detail = Object.entries(phase.detail).map(([key, value]) => `${key} ${round(value, 2)}`);
  return [
    phase.phase,
    phase.seconds === undefined ? '-' : phase.seconds.toFixed(1),
    phase.seconds === undefined || floor === undefined ? '-' : (phase.seconds / floor).toFixed(2),
    `${phase.cpu.meanPct.toFixed(0)} / ${phase.cpu.peakPct.toFixed(0)}`,
    `${phase.cpu.benchMeanPct.toFixed(0)} / ${phase.cpu.benchPeakPct.toFixed(0)}`,
    mib(phase.coordinatorTxBytes),
    `${mib(phase.peakRss['coordinator']?.peakTreeBytes)} / ${mib(phase.peakRss['agent']?.peakTreeBytes)}`,
    phase.error === undefined ? detail.join(', ') : `ERROR ${phase.error}`,
  ];
}

function columns(rows: readonly string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  // The last column is free text: no padding.
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
