import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import type { Logger } from 'pino';
import type { KvStore } from '../../shared/bus/bus.js';
import { connectBus } from '../../shared/bus/index.js';
import {
  addNatsOptions,
  addTrustOptions,
  ExitCode,
  resolveTrust,
  runCommand,
  type CliOutput,
  type TrustFlags,
} from '../../shared/cli/index.js';
import {
  Buckets,
  decodeMessage,
  encodeMessage,
  RUN_ID,
  runStateSchema,
  type RunState,
} from '../../shared/control/index.js';
import { AirliftError, ConfigInvalidError } from '../../shared/errors/index.js';
import { ExecaRunner } from '../../shared/exec/index.js';
import {
  formatArgv,
  KubeTools,
  readHistory,
  rollbackCommand as helmRollbackArgv,
  valuesAtRevisionCommand,
} from '../kube/index.js';
import { changedValuePaths, describeRevision, rollbackChange } from './rollback-plan.js';

interface RollbackFlags extends TrustFlags {
  yes: boolean;
  dryRun: boolean;
  wait: boolean;
  helm?: string;
  kubeconfig?: string;
  kubeContext?: string;
}

/** `airlift rollback RUN_ID`: `helm rollback` of the run's release to the revision recorded before the run. */
export function rollbackCommand(output: CliOutput, logger: Logger, setExit: (code: number) => void): Command {
  const command = new Command('rollback')
    .description(
      'roll the release of a run back to the revision it had before the run (helm rollback), after showing what changes',
    )
    .argument('<run-id>', 'the run id `airlift upgrade` printed (also in <run-dir>/run.json)')
    .option('-y, --yes', 'roll back without asking (needed when stdin is not a terminal)', false)
    .option('--dry-run', 'show what would change and the exact helm command; change nothing', false)
    .option('--wait', 'pass --wait to helm rollback: return once the resources are ready', false)
    .option('--helm <path>', "helm executable (default: the run's, else helm)")
    .option('--kubeconfig <file>', "passed to helm (default: the run's)")
    .option('--kube-context <name>', "passed to helm as --kube-context (default: the run's)")
    .addHelpText(
      'after',
      '\nThe revision is the one `helm status` reported when the run started (before anything changed).\n' +
        '\nExamples:\n  $ airlift rollback r20261124-115500-3f9a\n  $ airlift rollback r20261124-115500-3f9a --dry-run\n  $ airlift rollback r20261124-115500-3f9a --yes --wait\n',
    );
  addTrustOptions(command, 'coordinator');
  return addNatsOptions(command).action(async (runId: string, flags: RollbackFlags) => {
    setExit(await runCommand(output, () => runRollback(runId, flags, output, logger)));
  });
}

async function runRollback(
  runId: string,
  flags: RollbackFlags,
  output: CliOutput,
  logger: Logger,
): Promise<number> {
  if (!RUN_ID.test(runId)) {
    throw new ConfigInvalidError(
      'command line',
      'run-id',
      `${JSON.stringify(runId)} is not a run id such as r20261124-115500-3f9a`,
    );
  }
  const setup = await resolveTrust(flags, 'coordinator', 'airlift-rollback', output);
  const bus = await connectBus({ ...setup.nats, name: 'airlift-rollback' }, logger);
  try {
    const kv = await bus.kv(Buckets.runs, { history: 64 });
    const state = await readRun(kv, runId);
    const revision = state.revisionBefore;
    if (revision === undefined) {
      throw new ConfigInvalidError(
        'command line',
        'run-id',
        `run ${runId} recorded no revision of ${state.release} (it stopped before preflight read the release): use \`helm history ${state.release} -n ${state.namespace}\` and \`helm rollback\``,
      );
    }
    if (state.phase !== 'done' && state.phase !== 'failed') {
      output.err(
        `airlift: warning: run ${runId} is in phase ${state.phase}: it is still running, or its coordinator stopped without recording an end`,
      );
    }
    return await rollBack(kv, state, revision, flags, output, logger);
  } finally {
    await bus.drain();
  }
}

/** Shows what changes, asks, runs `helm rollback` and records it. */
async function rollBack(
  kv: KvStore,
  state: RunState,
  revision: number,
  flags: RollbackFlags,
  output: CliOutput,
  logger: Logger,
): Promise<number> {
  const { runId, release, namespace } = state;
  const tools = toolsFor(state, flags, logger);
  const history = await readHistory(tools, release, namespace);
  const change = rollbackChange(history.entries, revision);
  output.out(`run ${runId}: release ${release} in ${namespace}`);
  output.out(`  now     ${describeRevision(change.current, change.current?.revision ?? 0)}`);
  output.out(`  back to ${describeRevision(change.target, revision)} (recorded before the run)`);
  if (change.unchanged) {
    output.out(`release ${release} is at revision ${revision} already: nothing to roll back`);
    return ExitCode.Ok;
  }
  await printValueChanges(tools, state, revision, output);
  const argv = helmRollbackArgv(tools, release, namespace, revision, flags.wait);
  if (flags.dryRun) {
    output.out(`dry run: nothing was changed; would run:\n  $ ${formatArgv(argv)}`);
    return ExitCode.Ok;
  }
  if (!flags.yes && !(await confirm(`roll ${release} back to revision ${revision}? [y/N] `))) {
    output.out('not rolled back');
    return ExitCode.Ok;
  }
  output.out(`$ ${formatArgv(argv)}`);
  const at = (): string => new Date().toISOString();
  try {
    const run = await tools.runLongCommand(argv);
    await recordRollback(kv, runId, { revision, at: at(), outcome: 'done' });
    output.out(run.stdout.split('\n')[0] ?? '');
    output.out(`rolled ${release} in ${namespace} back to revision ${revision}`);
    return ExitCode.Ok;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await recordRollback(kv, runId, { revision, at: at(), outcome: 'failed', message });
    throw err;
  }
}

async function readRun(kv: KvStore, runId: string): Promise<RunState> {
  const entry = await kv.get(runId);
  if (entry === undefined) {
    throw new ConfigInvalidError(
      'command line',
      'run-id',
      `no run ${runId} is recorded: check the id (airlift upgrade printed it)`,
    );
  }
  return decodeMessage(runStateSchema, `${Buckets.runs}/${runId}`, entry.value);
}

/** The run's helm and cluster flags, unless given here. */
function toolsFor(state: RunState, flags: RollbackFlags, logger: Logger): KubeTools {
  const recorded = state.parameters ?? {};
  const kubeconfig = flags.kubeconfig ?? recorded.kubeconfig;
  const kubeContext = flags.kubeContext ?? recorded.kubeContext;
  return new KubeTools({
    runner: new ExecaRunner(logger),
    helmPath: flags.helm ?? recorded.helm ?? 'helm',
    logger,
    ...(kubeconfig === undefined ? {} : { kubeconfig }),
    ...(kubeContext === undefined ? {} : { kubeContext }),
  });
}

/** Which value paths the rollback changes (names only: values can hold passwords); best effort. */
async function printValueChanges(
  tools: KubeTools,
  state: RunState,
  revision: number,
  output: CliOutput,
): Promise<void> {
  try {
    const now = await tools.getValues(state.release, state.namespace);
    const then = await tools.runCommand(
      valuesAtRevisionCommand(tools, state.release, state.namespace, revision),
    );
    const paths = changedValuePaths(now.stdout, then.stdout);
    output.out(
      paths.length === 0
        ? '  values  the same at both revisions'
        : `  values  that change: ${paths.join(', ')}`,
    );
  } catch (err) {
    output.out(`  values  not compared (${err instanceof AirliftError ? err.message : String(err)})`);
  }
}

/** Asks on the terminal; refuses (exit 2) when there is none, since nobody could answer. */
async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new ConfigInvalidError(
      'command line',
      '--yes',
      'stdin is not a terminal, so nobody can confirm: pass --yes to roll back',
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** Records the rollback in the run's state (a run's record is written by its coordinator only while it runs). */
async function recordRollback(
  kv: KvStore,
  runId: string,
  rollback: NonNullable<RunState['rollback']>,
): Promise<void> {
  const state = await readRun(kv, runId);
  await kv.put(runId, encodeMessage({ ...state, rollback, updatedAt: new Date().toISOString() }));
}
