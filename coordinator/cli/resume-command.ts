import { Command } from 'commander';
import type { Logger } from 'pino';
import { durationTextArg, resolveTrust, runCommand, type CliOutput } from '../../shared/cli/index.js';
import { Buckets, decodeMessage, RUN_ID, runStateSchema } from '../../shared/control/index.js';
import { ConfigInvalidError } from '../../shared/errors/index.js';
import { resumeRequest, type ResumeFlags } from './resume-parameters.js';
import { addSessionOptions, runUpgradeSession } from './upgrade-session.js';

/**
 * `airlift resume RUN_ID`: runs a stopped or failed upgrade again with its stored parameters and run
 * directory; flags given on its command line override the stored ones. Nodes that already verified
 * everything skip the transfer; bak.yaml from the first attempt is kept, because after a failed helm
 * upgrade the release's values already name the new registry.
 */
export function resumeCommand(output: CliOutput, logger: Logger, setExit: (code: number) => void): Command {
  const command = new Command('resume')
    .description(
      'run a failed or interrupted upgrade again, with its stored parameters and run directory; flags given here override the stored ones',
    )
    .argument('<run-id>', 'the run id `airlift upgrade` printed (also in <run-dir>/run.json)')
    .option('--timeout <duration>', 'longest the distribution may take', durationTextArg, '30m')
    .option('--force-load', 'load even on nodes that already hold every image verified', false)
    .option('--force', 'run again even a run that finished (helm upgrade runs again)', false);
  addSessionOptions(command).addHelpText(
    'after',
    '\nEvery parameter recorded for the run (--timeout, --distribution, --stripes, --piece-size, --listen,\n' +
      '--advertise, --stream-listen, --helm, --kubectl, --kubeconfig, --kube-context) is reused; a flag given\n' +
      'here overrides it, and the defaults shown apply only to runs recorded without it. NATS credentials\n' +
      'and the identity are never recorded: pass them again. --force-load is not reused.\n' +
      '\nExamples:\n  $ airlift resume r20261124-115500-3f9a\n  $ airlift resume r20261124-115500-3f9a --timeout 1h --kubeconfig ~/.kube/prod\n',
  );
  return command.action(async (runId: string, flags: ResumeFlags) => {
    setExit(
      await runCommand(output, async () => {
        const setup = await resolveTrust(flags, 'coordinator', 'airlift-resume', output);
        const code = await runUpgradeSession(
          async (bus, human) => {
            if (!RUN_ID.test(runId)) {
              throw new ConfigInvalidError(
                'command line',
                'run-id',
                `${JSON.stringify(runId)} is not a run id such as r20261124-115500-3f9a`,
              );
            }
            const kv = await bus.kv(Buckets.runs, { history: 64 });
            const entry = await kv.get(runId);
            if (entry === undefined) {
              throw new ConfigInvalidError(
                'command line',
                'run-id',
                `no run ${runId} is recorded: check the id (airlift upgrade printed it)`,
              );
            }
            const state = decodeMessage(runStateSchema, `${Buckets.runs}/${runId}`, entry.value);
            // A finished run resumed by mistake would run helm upgrade again (a new release revision).
            if (state.phase === 'done' && !flags.force) {
              throw new ConfigInvalidError(
                'command line',
                'run-id',
                `run ${runId} finished (phase done, last updated ${state.updatedAt}): there is nothing to resume; pass --force to run its upgrade again`,
              );
            }
            const why = state.failure === undefined ? '' : `: ${state.failure.message}`;
            human.out(`resuming run ${runId} (it stopped in phase ${state.phase}${why})`);
            return resumeRequest(state, flags, (flag) => command.getOptionValueSource(flag) === 'cli');
          },
          flags,
          output,
          logger,
          setup,
        );
        return code;
      }),
    );
  });
}
