import { Command, Option } from 'commander';
import type { Logger } from 'pino';
import { connectBus } from '../../shared/bus/index.js';
import {
  addNatsOptions,
  addTrustOptions,
  ExitCode,
  outputOption,
  parseDuration,
  printStructured,
  resolveTrust,
  unitArg,
  runCommand,
  type CliOutput,
  type OutputFormat,
  type TrustFlags,
} from '../../shared/cli/index.js';
import { FleetRegistry, type AgentRow } from '../fleet/index.js';
import { judgeStatus, missingNodesMessage, parseNodeList } from './status-selection.js';
import { statusJson, statusTable } from './status-table.js';
import { repeatUntilSignal } from './status-watch.js';

type StatusFlags = TrustFlags & { output: OutputFormat; watch?: number | true; nodes?: string };

/** How one report is printed: once, or as one frame of `--watch`. */
interface ReportMode {
  readonly format: OutputFormat;
  readonly watch: boolean;
  /** Clear the screen before each frame (text on a terminal). */
  readonly redraw: boolean;
}

const DEFAULT_WATCH_MS = 2000;
// Cursor home + erase display: the next frame overwrites the previous one in place.
const CLEAR_SCREEN = '\u001b[H\u001b[2J';

/** `airlift status`: one row per agent from the fleet registry, healthy / stale / down. */
export function statusCommand(output: CliOutput, logger: Logger, setExit: (code: number) => void): Command {
  const command = new Command('status')
    .description('show fleet health from the registry: one row per agent; exits 11 unless all are healthy')
    .addOption(outputOption())
    .option('--nodes <names>', 'only these agents, comma-separated (a name with no entry exits 11)')
    .addOption(
      new Option('--watch [interval]', 'redraw every interval (default 2s) until SIGINT/SIGTERM').argParser(
        unitArg(parseDuration),
      ),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ airlift status\n  $ airlift status --nodes node-1,node-2 -o json\n  $ airlift status --watch 5s\n',
    );
  addTrustOptions(command, 'coordinator');
  return addNatsOptions(command).action(async (flags: StatusFlags) => {
    setExit(await runCommand(output, () => runStatus(flags, output, logger)));
  });
}

async function runStatus(flags: StatusFlags, output: CliOutput, logger: Logger): Promise<number> {
  const nodes = flags.nodes === undefined ? undefined : parseNodeList(flags.nodes);
  const watchMs = flags.watch === true ? DEFAULT_WATCH_MS : flags.watch;
  const setup = await resolveTrust(flags, 'coordinator', 'airlift-status', output);
  const bus = await connectBus({ ...setup.nats, name: 'airlift-status' }, logger);
  try {
    const registry = await FleetRegistry.open(bus, setup.trust.policy, undefined, logger);
    const mode: ReportMode = {
      format: flags.output,
      watch: watchMs !== undefined,
      redraw: watchMs !== undefined && flags.output === 'table' && process.stdout.isTTY,
    };
    const report = async (): Promise<number> => printReport(await registry.list(), nodes, mode, output);
    if (watchMs === undefined) return await report();
    // Watching is for a person or a log: the health of one frame is not the command's outcome.
    await repeatUntilSignal(watchMs, async () => {
      // A NATS blip must not end a watch an operator left running: say so and try at the next tick.
      await report().catch((err: unknown) => {
        output.err(`airlift: could not read the fleet registry (${(err as Error).message}); trying again`);
      });
    });
    return ExitCode.Ok;
  } finally {
    await bus.drain();
  }
}

/** Prints one report of the targeted agents; resolves its exit code. */
function printReport(
  all: readonly AgentRow[],
  nodes: readonly string[] | undefined,
  mode: ReportMode,
  output: CliOutput,
): number {
  const verdict = judgeStatus(all, nodes);
  if (mode.format !== 'table') {
    printStructured(output, mode.format, verdict.rows.map(statusJson), mode.watch);
  } else {
    const lines = statusTable(verdict.rows);
    if (mode.redraw) lines[0] = `${CLEAR_SCREEN}${lines[0] ?? ''}`;
    else if (mode.watch) lines.unshift(`--- ${new Date().toISOString()}`);
    lines.forEach((line) => {
      output.out(line);
    });
  }
  const missing = missingNodesMessage(verdict.missing);
  if (missing !== undefined) output.err(missing);
  return verdict.exitCode;
}
