import { Command } from 'commander';
import type { Logger } from 'pino';
import { parseDuration, resolveTrust, runCommand, type CliOutput } from '../../shared/cli/index.js';
import { Buckets, decodeMessage, RUN_ID, runStateSchema, type RunState } from '../../shared/control/index.js';
import { ConfigInvalidError } from '../../shared/errors/index.js';
import type { UpgradeRequest } from '../upgrade/upgrade-request.js';
import {
  addSessionOptions,
  parsePieceSize,
  parseStripes,
  runUpgradeSession,
  type SessionFlags,
} from './upgrade-session.js';

interface ResumeFlags extends SessionFlags {
  timeout: string;
  forceLoad: boolean;
  force: boolean;
}

/**
 * `airlift resume RUN_ID`: runs a stopped or failed upgrade again with its stored parameters and run
 * directory. Nodes that already verified everything skip the transfer; bak.yaml from the first attempt
 * is kept, because after a failed helm upgrade the release's values already name the new registry.
 */
export function resumeCommand(output: CliOutput, logger: Logger, setExit: (code: number) => void): Command {
  const command = new Command('resume')
    .description('run a failed or interrupted upgrade again, with its stored parameters and run directory')
    .argument('<run-id>', 'the run id `airlift upgrade` printed (also in <run-dir>/run.json)')
    .option('--timeout <duration>', 'longest the distribution may take', '30m')
    .option('--force-load', 'load even on nodes that already hold every image verified', false)
    .option('--force', 'run again even a run that finished (helm upgrade runs again)', false);
  return addSessionOptions(command).action(async (runId: string, flags: ResumeFlags) => {
    setExit(
      await runCommand(output, async () => {
        const setup = await resolveTrust(flags, 'coordinator', 'airlift-resume', output);
        const code = await runUpgradeSession(
          async (bus) => {
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
            output.out(`resuming run ${runId} (it stopped in phase ${state.phase}${why})`);
            return requestFor(state, flags);
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

function requestFor(state: RunState, flags: ResumeFlags): UpgradeRequest {
  return {
    bundlePath: state.bundle,
    release: state.release,
    namespace: state.namespace,
    imageRegistry: state.imageRegistry,
    nodes: Object.keys(state.nodes),
    timeoutMs: parseDuration(flags.timeout, '--timeout'),
    runDir: state.runDir,
    dryRun: false,
    allowHintMismatch: false,
    forceLoad: flags.forceLoad,
    distribution: flags.distribution,
    stripes: parseStripes(flags.stripes),
    pieceSize: parsePieceSize(flags.pieceSize),
    resumes: state.runId,
    ...(state.version === undefined ? {} : { version: state.version }),
  };
}
