import { parseArgs } from 'node:util';

/** What one control-plane bench invocation simulates and measures. */
export interface ControlPlaneOptions {
  /** Simulated agents, each with its own identity and NATS connection. */
  readonly agents: number;
  /** Processes the agents are spread over, so one event loop is not the limit. */
  readonly workers: number;
  /** How often each agent heartbeats (the real agent's default is 5 s). */
  readonly heartbeatMs: number;
  /** Runs of `airlift status --output json`. */
  readonly statusRuns: number;
  /** Size of the archive the job describes: sets the piece manifest each job carries. */
  readonly archiveMiB: number;
  readonly pieceMiB: number;
  /** References in the job's retag plan (each one is an image the report says is verified). */
  readonly images: number;
  /** Simulated time between an agent's ack and its report (no data moves either way). */
  readonly jobMs: number;
  /** Agents a worker connects at once. */
  readonly connectConcurrency: number;
  /** Whole-run bound: past it the bench cleans up and exits 124. */
  readonly maxSeconds: number;
  /** Write a .cpuprofile of the coordinator process over the distribution window here. */
  readonly cpuProfDir: string | undefined;
  readonly json: boolean;
}

export const DEFAULTS = {
  agents: 1000,
  workers: 4,
  heartbeatMs: 5000,
  statusRuns: 5,
  archiveMiB: 1024,
  pieceMiB: 4,
  images: 8,
  jobMs: 0,
  connectConcurrency: 25,
  maxSeconds: 900,
} as const;

export const USAGE = `usage: npm run bench:control-plane -- [options]
  --agents N                simulated agents (default ${DEFAULTS.agents})
  --workers W               processes hosting them (default ${DEFAULTS.workers})
  --heartbeat-ms MS         each agent's heartbeat interval (default ${DEFAULTS.heartbeatMs})
  --status-runs K           runs of airlift status (default ${DEFAULTS.statusRuns})
  --archive-mib S           archive size the job describes (default ${DEFAULTS.archiveMiB}; no data moves)
  --piece-mib P             piece size, sets the job's manifest length (default ${DEFAULTS.pieceMiB})
  --images I                references in the retag plan (default ${DEFAULTS.images})
  --job-ms MS               simulated time from ack to report (default ${DEFAULTS.jobMs})
  --connect-concurrency C   agents a worker connects at once (default ${DEFAULTS.connectConcurrency})
  --max-seconds T           bound on the whole run (default ${DEFAULTS.maxSeconds})
  --cpu-prof-dir DIR        write a CPU profile of the coordinator's distribution window to DIR
  --json                    print only the JSON line on stdout`;

/** A command-line mistake: main prints the message and the usage, and exits 2. */
export class UsageError extends Error {}

/** Parses argv (without node and script); throws UsageError on anything unknown or invalid. */
export function parseControlPlaneArgs(argv: readonly string[]): ControlPlaneOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      agents: { type: 'string' },
      workers: { type: 'string' },
      'heartbeat-ms': { type: 'string' },
      'status-runs': { type: 'string' },
      'archive-mib': { type: 'string' },
      'piece-mib': { type: 'string' },
      images: { type: 'string' },
      'job-ms': { type: 'string' },
      'connect-concurrency': { type: 'string' },
      'max-seconds': { type: 'string' },
      'cpu-prof-dir': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) throw new UsageError('');
  const agents = integer('--agents', values.agents, DEFAULTS.agents, 1, 5000);
  return {
    agents,
    workers: Math.min(agents, integer('--workers', values.workers, DEFAULTS.workers, 1, 64)),
    heartbeatMs: integer('--heartbeat-ms', values['heartbeat-ms'], DEFAULTS.heartbeatMs, 100, 60_000),
    statusRuns: integer('--status-runs', values['status-runs'], DEFAULTS.statusRuns, 1, 50),
    archiveMiB: integer('--archive-mib', values['archive-mib'], DEFAULTS.archiveMiB, 1, 1024 * 1024),
    pieceMiB: integer('--piece-mib', values['piece-mib'], DEFAULTS.pieceMiB, 1, 64),
    images: integer('--images', values.images, DEFAULTS.images, 1, 500),
    jobMs: integer('--job-ms', values['job-ms'], DEFAULTS.jobMs, 0, 600_000),
    connectConcurrency: integer(
      '--connect-concurrency',
      values['connect-concurrency'],
      DEFAULTS.connectConcurrency,
      1,
      1000,
    ),
    maxSeconds: integer('--max-seconds', values['max-seconds'], DEFAULTS.maxSeconds, 10, 24 * 3600),
    cpuProfDir: values['cpu-prof-dir'],
    json: values.json === true,
  };
}

function integer(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag}: expected an integer from ${min} to ${max}`);
  }
  return value;
}
