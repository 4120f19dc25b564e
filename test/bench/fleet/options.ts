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
  /** The agents' `--containerd-importer`: containerd's API, layer by layer (the default), or ctr. */
  readonly importer: 'ctr' | 'api';
  readonly phases: readonly PhaseName[];
  readonly json: boolean;
}

/** One cell of the sweep: a link rate, an archive size and the fleet sizes measured at them. */
export interface BenchCell {
  readonly name: string;
  readonly nodes: readonly number[];
  readonly sizeMiB: number;
  readonly rateMbit: number;
  readonly pieceMiB: number;
}

/**
 * The default sweep, at the sizes real bundles have (a kairship images.tar is hundreds of MB, DCE
 * releases GBs) and links of 100 Mbit/s to 10 Gbit/s: their sizes are part of the goal and are not
 * lowered to make a figure pass. Pieces: 4 MiB where the chain's depth is small next to S/B; 256 KiB at
 * 100 Mbit/s, where 15 hops of a 4 MiB piece would add 5 s to a 5.4 s transfer. N = 16 of cell b runs
 * with --full: the sweep must end within 25 minutes.
 */
export const DEFAULT_CELLS: readonly BenchCell[] = [
  { name: 'a', nodes: [1, 2], sizeMiB: 1024, rateMbit: 10_000, pieceMiB: 4 },
  { name: 'b', nodes: [1, 4, 8], sizeMiB: 64, rateMbit: 100, pieceMiB: 0.25 },
  { name: 'c', nodes: [4], sizeMiB: 512, rateMbit: 1000, pieceMiB: 4 },
];
const FULL_EXTRA: Readonly<Record<string, readonly number[]>> = { b: [16] };

/** Flag defaults of a custom cell (any of --nodes, --size-mib, --rate-mbit, --piece-mib given). */
export const DEFAULTS = { nodes: [1, 4, 8, 16], sizeMiB: 64, rateMbit: 100, pieceMiB: 0.25 } as const;

const pad = (value: number, width: number): string => String(value).padEnd(width);

export const USAGE = `usage: npm run bench:fleet -- [options]
  (no size flags)           the default sweep: ${DEFAULT_CELLS.map((c) => `${c.name}: N=${c.nodes.join(',')} S=${c.sizeMiB} MiB B=${c.rateMbit} Mbit/s`).join('; ')}
  --full                    the default sweep with cell b at N = 16 too
  --cells a,c               only these cells of the default sweep
  --nodes 1,4,8,16          a custom cell: fleet sizes to sweep
  --size-mib ${pad(DEFAULTS.sizeMiB, 15)}size of images.tar (S)
  --rate-mbit ${pad(DEFAULTS.rateMbit, 14)}each node's link, both directions (B)
  --coordinator-rate-mbit B the coordinator's link (default: B)
  --piece-mib ${pad(DEFAULTS.pieceMiB, 14)}airlift piece size
  --distribution ${DEFAULT_DISTRIBUTION.padEnd(11)}the airlift phase's mode: ${DISTRIBUTION_MODES.join(', ')}
  --stripes ${pad(PLAN_DEFAULTS.stripes, 16)}tree mode's stripes
  --importer api            the agents' --containerd-importer: api (the product's default) or ctr
  --phases floor,baseline,airlift,star
  --json                    print one JSON document instead of tables`;

/** What one invocation runs: cells, each a BenchOptions, and how to print them. */
export interface BenchPlan {
  readonly cells: readonly (BenchOptions & { readonly cell: string })[];
  readonly json: boolean;
}

/** Parses argv (without node and script); throws with the usage text on anything unknown or invalid. */
export function parseBenchArgs(argv: readonly string[]): BenchPlan {
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
      importer: { type: 'string' },
      phases: { type: 'string' },
      json: { type: 'boolean' },
      full: { type: 'boolean' },
      cells: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) throw new UsageError('');
  const phases = list(values.phases, [...PHASES]);
  for (const phase of phases) {
    if (!(PHASES as readonly string[]).includes(phase)) throw new UsageError(`unknown phase ${phase}`);
  }
  const distribution = values.distribution ?? DEFAULT_DISTRIBUTION;
  if (!(DISTRIBUTION_MODES as readonly string[]).includes(distribution)) {
    throw new UsageError(`--distribution: one of ${DISTRIBUTION_MODES.join(', ')}`);
  }
  const importer = values.importer ?? 'api';
  if (importer !== 'ctr' && importer !== 'api') throw new UsageError('--importer: ctr or api');
  const stripes = positive('--stripes', values.stripes, PLAN_DEFAULTS.stripes);
  if (!Number.isInteger(stripes)) throw new UsageError('--stripes: an integer');
  const custom = ['nodes', 'size-mib', 'rate-mbit', 'piece-mib'].some(
    (flag) => values[flag as 'nodes'] !== undefined,
  );
  if (custom && (values.full === true || values.cells !== undefined)) {
    throw new UsageError(
      '--full and --cells choose cells of the default sweep; give them without size flags',
    );
  }
  const cells = custom ? [customCell(values)] : defaultCells(values.cells, values.full === true);
  return {
    cells: cells.map((cell) => ({
      cell: cell.name,
      nodes: cell.nodes,
      sizeMiB: cell.sizeMiB,
      rateMbit: cell.rateMbit,
      coordinatorRateMbit: positive(
        '--coordinator-rate-mbit',
        values['coordinator-rate-mbit'],
        cell.rateMbit,
      ),
      pieceMiB: cell.pieceMiB,
      distribution: distribution as DistributionMode,
      stripes,
      importer,
      phases: PHASES.filter((phase) => phases.includes(phase)),
      json: values.json === true,
    })),
    json: values.json === true,
  };
}

function customCell(values: Record<string, string | boolean | undefined>): BenchCell {
  const text = (flag: string): string | undefined => {
    const value = values[flag];
    return typeof value === 'string' ? value : undefined;
  };
  const nodes = list(text('nodes'), DEFAULTS.nodes.map(String)).map((n) => positive('--nodes', n, 1));
  if (nodes.some((n) => !Number.isInteger(n) || n > 200)) throw new UsageError('--nodes: integers 1..200');
  return {
    name: 'custom',
    nodes,
    sizeMiB: positive('--size-mib', text('size-mib'), DEFAULTS.sizeMiB),
    rateMbit: positive('--rate-mbit', text('rate-mbit'), DEFAULTS.rateMbit),
    pieceMiB: positive('--piece-mib', text('piece-mib'), DEFAULTS.pieceMiB),
  };
}

function defaultCells(names: string | undefined, full: boolean): BenchCell[] {
  const wanted = list(
    names,
    DEFAULT_CELLS.map((c) => c.name),
  );
  for (const name of wanted) {
    if (!DEFAULT_CELLS.some((c) => c.name === name)) throw new UsageError(`--cells: unknown cell ${name}`);
  }
  return DEFAULT_CELLS.filter((c) => wanted.includes(c.name)).map((c) =>
    full ? { ...c, nodes: [...c.nodes, ...(FULL_EXTRA[c.name] ?? [])] } : c,
  );
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
