import { parseArgs } from 'node:util';
import {
  DEFAULT_DISTRIBUTION,
  DISTRIBUTION_MODES,
  PLAN_DEFAULTS,
  type DistributionMode,
} from '../../../coordinator/upgrade/distribution-plan.js';

/** The phases a sweep step can run, in the order they run. */
export const PHASES = ['floor', 'baseline', 'airlift', 'star'] as const;
export type PhaseName = (typeof PHASES)[number];

/** What one bench invocation measures. */
export interface BenchOptions {
  readonly nodes: readonly number[];
  /** Target size of images.tar; the real size is reported (tar framing adds a little). */
  readonly sizeMiB: number;
  /** Every node's link, both directions, Mbit/s (10^6 bit/s). */
  readonly rateMbit: number;
  /** The coordinator's own link; default rateMbit, a spark node with the same NIC as the others. */
  readonly coordinatorRateMbit: number;
  readonly pieceMiB: number;
  /** How the airlift phase distributes (the star phase is always star); default: the product's. */
  readonly distribution: DistributionMode;
  /** Tree mode's stripes; default: the product's. */
  readonly stripes: number;
  readonly phases: readonly PhaseName[];
  readonly json: boolean;
}

// Why these: docs/benchmarks.md ("Why the defaults"). In short: 16 simulated nodes share two cores, and
// a node's job costs CPU per piece, per byte and per import, so the issue asks for an S and B that keep
// the machine from being the bottleneck. At 8 MiB and 5 Mbit/s the machine averaged 70-85 % at N = 16
// with long stretches at 100 %, and every relay that lost the CPU for a moment delayed every node after
// it. Halving both halves the per-second work and keeps S/B = 13.4 s, so star and the baseline (N·S/B,
// ΣN = 29) still fit the 20-minute sweep. 32 KiB pieces: 16 KiB ones cost the agents a third more CPU
// (about 1 ms per piece and node) and were no faster.
export const DEFAULTS = {
  nodes: [1, 4, 8, 16],
  sizeMiB: 4,
  rateMbit: 2.5,
  pieceMiB: 0.03125,
} as const;

const pad = (value: number, width: number): string => String(value).padEnd(width);

export const USAGE = `usage: npm run bench:fleet -- [options]
  --nodes 1,4,8,16          fleet sizes to sweep
  --size-mib ${pad(DEFAULTS.sizeMiB, 15)}size of images.tar (S)
  --rate-mbit ${pad(DEFAULTS.rateMbit, 14)}each node's link, both directions (B)
  --coordinator-rate-mbit B the coordinator's link (default: B)
  --piece-mib ${pad(DEFAULTS.pieceMiB, 14)}airlift piece size
  --distribution ${DEFAULT_DISTRIBUTION.padEnd(11)}the airlift phase's mode: ${DISTRIBUTION_MODES.join(', ')}
  --stripes ${pad(PLAN_DEFAULTS.stripes, 16)}tree mode's stripes
  --phases floor,baseline,airlift,star
  --json                    print one JSON document instead of tables`;

/** Parses argv (without node and script); throws with the usage text on anything unknown or invalid. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      nodes: { type: 'string' },
      'size-mib': { type: 'string' },
      'rate-mbit': { type: 'string' },
      'coordinator-rate-mbit': { type: 'string' },
      'piece-mib': { type: 'string' },
      distribution: { type: 'string' },
      stripes: { type: 'string' },
      phases: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) throw new UsageError('');
  const rateMbit = positive('--rate-mbit', values['rate-mbit'], DEFAULTS.rateMbit);
  const nodes = list(values.nodes, DEFAULTS.nodes.map(String)).map((n) => positive('--nodes', n, 1));
  if (nodes.some((n) => !Number.isInteger(n) || n > 200)) throw new UsageError('--nodes: integers 1..200');
  const phases = list(values.phases, [...PHASES]);
  for (const phase of phases) {
    if (!(PHASES as readonly string[]).includes(phase)) throw new UsageError(`unknown phase ${phase}`);
  }
  const distribution = values.distribution ?? DEFAULT_DISTRIBUTION;
  if (!(DISTRIBUTION_MODES as readonly string[]).includes(distribution)) {
    throw new UsageError(`--distribution: one of ${DISTRIBUTION_MODES.join(', ')}`);
  }
  const stripes = positive('--stripes', values.stripes, PLAN_DEFAULTS.stripes);
  if (!Number.isInteger(stripes)) throw new UsageError('--stripes: an integer');
  return {
    nodes,
    sizeMiB: positive('--size-mib', values['size-mib'], DEFAULTS.sizeMiB),
    rateMbit,
    coordinatorRateMbit: positive('--coordinator-rate-mbit', values['coordinator-rate-mbit'], rateMbit),
    pieceMiB: positive('--piece-mib', values['piece-mib'], DEFAULTS.pieceMiB),
    distribution: distribution as DistributionMode,
    stripes,
    phases: PHASES.filter((phase) => phases.includes(phase)),
    json: values.json === true,
  };
}

/** A command-line mistake: main prints the message and the usage, and exits 2. */
export class UsageError extends Error {}

function list(text: string | undefined, fallback: readonly string[]): string[] {
  return text === undefined ? [...fallback] : text.split(',').filter((item) => item !== '');
}

function positive(flag: string, text: string | number | undefined, fallback: number): number {
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${flag}: expected a positive number`);
  return value;
}
