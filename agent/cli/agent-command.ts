import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import type { Logger } from 'pino';
import { connectBus } from '../../shared/bus/index.js';
import {
  addNatsOptions,
  advertisedAddress,
  durationOption,
  parseRate,
  unitArg,
  ExitCode,
  addTrustOptions,
  resolveTrust,
  runCommand,
  type TrustFlags,
  type CliOutput,
  type NatsFlags,
} from '../../shared/cli/index.js';
import { NODE_NAME } from '../../shared/control/index.js';
import { ArchiveServer } from '../../shared/data-plane/index.js';
import { ConfigInvalidError } from '../../shared/errors/index.js';
import { ExecaRunner } from '../../shared/exec/index.js';
import { TokenBucket } from '../async/index.js';
import { AgentDaemon } from '../daemon/agent-daemon.js';
import { AgentMetrics, HealthServer, type AgentHealthView, type ServedTotals } from '../health/index.js';
import { DEFAULT_DATA_DIRS } from '../daemon/node-facts.js';
import { selectRuntime } from '../runtime/index.js';
import { addRuntimeOptions, runtimeSelectionFrom, type RuntimeFlags } from './runtime-options.js';

interface AgentFlags extends NatsFlags, TrustFlags, RuntimeFlags {
  node?: string;
  grpcListen: string;
  grpcAdvertise?: string;
  streamListen?: string;
  heartbeat: number;
  dataDir?: string;
  drainTimeout: number;
  spoolDir: string;
  stallTimeout: number;
  maxRate?: number;
  metricsListen?: string;
}

/** Where /healthz and /metrics listen unless --metrics-listen says otherwise: loopback, unauthenticated. */
const DEFAULT_METRICS_LISTEN = '127.0.0.1:7484';

/** `airlift agent`: the daemon on every node. Runs until SIGTERM/SIGINT, then drains. */
export function agentCommand(output: CliOutput, logger: Logger, setExit: (code: number) => void): Command {
  const command = new Command('agent')
    .description(
      'run the node agent: heartbeats into the fleet registry, serves gRPC, runs jobs for this node',
    )
    .option(
      '--node <name>',
      "this node's name (use the Kubernetes node name); default: the identity's, else the host name",
    )
    .option('--grpc-listen <host:port>', 'gRPC endpoint to serve', '0.0.0.0:7481')
    .option(
      '--grpc-advertise <host:port>',
      'address others dial for this agent (default: host name and bound port)',
    )
    .option(
      '--stream-listen <host:port>',
      "piece stream endpoint, where peers read pieces (default: --grpc-listen's host, its port + 2: 7483)",
    )
    .addOption(durationOption('--heartbeat <duration>', 'heartbeat interval', '5s'))
    .option(
      '--data-dir <dir>',
      'where the runtime stores images (free space is reported); default by runtime',
    )
    .option(
      '--spool-dir <dir>',
      'where pieces in transfer are kept (resume, serving peers)',
      '/var/lib/airlift/spool',
    )
    .addOption(
      durationOption(
        '--stall-timeout <duration>',
        'switch to another source after this long without a piece',
        '15s',
      ),
    )
    .addOption(
      new Option(
        '--max-rate <rate>',
        'most this node receives, e.g. 50MiB/s or 200Mbit/s (default: no limit)',
      ).argParser(unitArg(parseRate)),
    )
    .addOption(
      durationOption(
        '--drain-timeout <duration>',
        'on SIGTERM, how long a running job may finish before it is aborted',
        '60s',
      ),
    )
    .option(
      '--metrics-listen <host:port>',
      `serve /healthz and Prometheus /metrics here (default: ${DEFAULT_METRICS_LISTEN}); unauthenticated: bind beyond loopback only where node facts may be read; "off" disables`,
    );
  command.addHelpText(
    'after',
    '\nExamples:\n  $ airlift agent\n  $ airlift agent --identity /etc/airlift/agent.json --runtime containerd --max-rate 200Mbit/s\n',
  );
  addRuntimeOptions(command);
  addTrustOptions(command, 'agent');
  return addNatsOptions(command).action(async (flags: AgentFlags) => {
    setExit(await runCommand(output, () => runAgent(flags, output, logger), logger));
  });
}

/** Runs the daemon until a signal; with an identity the data plane is mutual TLS, under --insecure plaintext. */
async function runAgent(flags: AgentFlags, output: CliOutput, logger: Logger): Promise<number> {
  const setup = await resolveTrust(flags, 'agent', `airlift-agent/${flags.node ?? hostname()}`, output);
  const dataPlaneTls = setup.dataPlaneTls;
  const node = nodeNameFor(flags.node, setup.identity?.name);
  const log = logger.child({ node });
  const runner = new ExecaRunner(log);
  const runtime = await selectRuntime(runtimeSelectionFrom(flags, runner, log));
  const server = new ArchiveServer({
    address: flags.grpcListen,
    ...(flags.streamListen === undefined ? {} : { streamAddress: flags.streamListen }),
    logger: log,
    ...(dataPlaneTls === undefined ? {} : { tls: dataPlaneTls }),
  });
  const daemon = new AgentDaemon(
    {
      node,
      trust: setup.trust,
      heartbeatIntervalMs: flags.heartbeat,
      dataDir: flags.dataDir ?? DEFAULT_DATA_DIRS[runtime.kind],
      drainTimeoutMs: flags.drainTimeout,
      spoolDir: flags.spoolDir,
      stallMs: flags.stallTimeout,
      ...(flags.maxRate === undefined ? {} : { maxRate: new TokenBucket(flags.maxRate) }),
      ...(dataPlaneTls === undefined ? {} : { dataPlaneTls }),
    },
    {
      // Waits for NATS (an agent may start before it), but not for refused credentials: that rejects
      // at once with BUS_AUTH_FAILED and the agent exits 7. Under systemd (Restart=, RestartSec=5) the
      // unit then shows the refusal in its journal at every restart instead of hanging silently, and
      // comes up by itself once the server accepts the identity (e.g. after `fleet add-node` and a
      // nats-server reload). A signal ends the wait at once.
      connect: (signal) =>
        connectBus({ ...setup.nats, name: `airlift-agent/${node}`, waitOnFirstConnect: true, signal }, log),
      runtime,
      endpoint: {
        start: async () => {
          const bound = await server.start();
          return flags.grpcAdvertise ?? advertisedAddress(bound);
        },
        stop: () => server.stop(),
        registerPieces: (id, source, access) => {
          server.registerPieces(id, source, access);
        },
        unregister: (id) => server.unregister(id),
      },
      logger: log,
    },
  );
  const health = await startHealth(flags.metricsListen, daemon, server, log);
  // Installed before start(): a signal while the agent waits for NATS (or is refused by it) must stop
  // it too. `on`, not `once`: a second signal must not fall through to Node's default (death without
  // the goodbye heartbeat); it only says what the agent is still waiting for.
  let stopping: Promise<void> | undefined;
  let onStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (onStopped = resolve));
  // Records, not plain lines: under JSON logging (the default for the agent) a plain line on stderr
  // would break every reader of the stream; under text logging these come out as human lines anyway.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping !== undefined) {
      log.warn({ signal }, `${signal}: already stopping (a running job may take up to --drain-timeout)`);
      return;
    }
    log.info({ signal }, `${signal}: draining`);
    stopping = daemon.stop().then(onStopped);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // The listeners stay until the process ends: removed, a signal in the moment between the goodbye and
  // the exit would meet Node's default action and end the process with 128+N instead of 0.
  if (await daemon.start()) {
    log.info({ runtime: runtime.kind }, `running (${runtime.kind}); stop with SIGTERM`);
  }
  await stopped;
  await health?.stop();
  return ExitCode.Ok;
}

/**
 * Serves /healthz and /metrics (undefined under `--metrics-listen off`); reachable while the agent waits
 * for NATS. An address given on the command line must be served; the default is best effort, so that
 * several agents on one host (the demo, tests) do not fail on its port.
 */
async function startHealth(
  flag: string | undefined,
  daemon: AgentDaemon,
  server: ArchiveServer,
  log: Logger,
): Promise<HealthServer | undefined> {
  if (flag === 'off') return undefined;
  const listen = flag ?? DEFAULT_METRICS_LISTEN;
  const view = (): AgentHealthView => daemon.healthView();
  const served = (): ServedTotals => {
    const stats = server.stats();
    const fetches = Object.values(stats.nodes).reduce((sum, node) => sum + node.fetches, 0);
    const refused = Object.values(stats.refused).reduce((sum, count) => sum + count, 0);
    return { bytes: stats.bytesServed, fetches, pieces: stats.piecesServed, refused };
  };
  const health = new HealthServer({
    address: listen,
    view,
    metrics: new AgentMetrics({ view, served }),
    logger: log,
  });
  try {
    await health.start();
  } catch (err) {
    if (flag === undefined) {
      // Best effort by design (several agents on one host share the default port), but say how to get it.
      log.warn(
        { err: (err as Error).message, address: listen },
        `running without /healthz and /metrics: cannot listen on ${listen} (another agent on this host may hold it). To serve them, restart with --metrics-listen <free host:port> (e.g. 127.0.0.1:7494); to run without them and without this warning, --metrics-listen off`,
      );
      return undefined;
    }
    // The runtime and spool are open already: release them so the process can exit with the error.
    await daemon.stop();
    throw err;
  }
  return health;
}

/** The node name: the identity's (a different --node is refused: no node may act as another), else --node or the host name. */
function nodeNameFor(flag: string | undefined, identityName: string | undefined): string {
  if (identityName !== undefined && flag !== undefined && flag !== identityName) {
    throw new ConfigInvalidError(
      'command line',
      '--node',
      `the identity is node ${identityName}'s, not ${flag}'s`,
    );
  }
  const node = identityName ?? flag ?? hostname();
  if (!NODE_NAME.test(node)) {
    throw new ConfigInvalidError(
      'command line',
      '--node',
      `${JSON.stringify(node)} is not a valid node name (letters, digits, '.', '-', '_')`,
    );
  }
  return node;
}
