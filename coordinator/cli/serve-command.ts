import { Command } from 'commander';
import type { Logger } from 'pino';
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
import { DashboardService, DEFAULT_SERVE_LISTEN } from '../serve/index.js';

type ServeFlags = TrustFlags & { listen: string };

const HELP_AFTER =
  '\nReach it from your desk through an SSH tunnel: ssh -L 7485:127.0.0.1:7485 <spark node>, then\n' +
  'browse http://127.0.0.1:7485/. It shows node names, states and run progress, never credentials.\n' +
  '\nExamples:\n' +
  '  $ airlift serve --identity /etc/airlift/fleet/coordinator.json\n' +
  '  $ airlift serve --listen 127.0.0.1:8080 --nats tls://10.16.10.10:4222\n';

/** `airlift serve`: the read-only dashboard, /healthz and /metrics of the fleet and the current run. */
export function serveCommand(output: CliOutput, logger: Logger, setExit: (code: number) => void): Command {
  const command = new Command('serve')
    .description(
      'serve a live dashboard of the fleet and the current run, with /healthz and Prometheus /metrics, until SIGINT/SIGTERM',
    )
    .option(
      '--listen <host:port>',
      'where to serve (plain HTTP, unauthenticated, read-only): keep it on loopback and reach it through an SSH tunnel',
      DEFAULT_SERVE_LISTEN,
    );
  addTrustOptions(command, 'coordinator');
  return addNatsOptions(command)
    .addHelpText('after', HELP_AFTER)
    .action(async (flags: ServeFlags) => {
      setExit(await runCommand(output, () => runServe(flags, output, logger)));
    });
}

/** Serves until a signal, then stops the streams, the watches and the connection. */
async function runServe(flags: ServeFlags, output: CliOutput, logger: Logger): Promise<number> {
  const setup = await resolveTrust(flags, 'coordinator', 'airlift-serve', output);
  const log = logger.child({ command: 'serve' });
  const service = new DashboardService({
    listen: flags.listen,
    // Waits for NATS (serve may start before it, under systemd), but a refused identity fails at once.
    connect: (signal) =>
      connectBus({ ...setup.nats, name: 'airlift-serve', waitOnFirstConnect: true, signal }, log),
    policy: setup.trust.policy,
    logger: log,
  });
  let onStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (onStopped = resolve));
  // An object, not a `let`: the handler sets it, and a catch block below must see that.
  const signalled = { stopping: false };
  // `on`, not `once`: a second signal must not fall through to Node's default and skip the cleanup.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled.stopping) {
      output.err(`airlift: ${signal}: already stopping`);
      return;
    }
    signalled.stopping = true;
    log.info({ signal }, `${signal}: stopping`);
    void service.stop().then(onStopped);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const address = await service.start();
    output.out(`airlift serve: dashboard on http://${address}/ (stop with Ctrl-C)`);
  } catch (err) {
    await service.stop();
    // Stopped by a signal while waiting for NATS: a clean stop, not a failure.
    if (signalled.stopping) return ExitCode.Ok;
    throw err;
  }
  await stopped;
  return ExitCode.Ok;
}
