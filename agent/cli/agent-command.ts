import { hostname } from 'node:os';
import { Command } from 'commander';
import type { Logger } from 'pino';
import { connectBus } from '../../shared/bus/index.js';
import {
  addNatsOptions,
  advertisedAddress,
  parseDuration,
  ExitCode,
  natsOptionsFrom,
  runCommand,
  type CliOutput,
  type NatsFlags,
} from '../../shared/cli/index.js';
import { NODE_NAME } from '../../shared/control/index.js';
import { ArchiveServer } from '../../shared/data-plane/index.js';
import { ConfigInvalidError } from '../../shared/errors/index.js';
import { ExecaRunner } from '../../shared/exec/index.js';
import { parseRate, TokenBucket } from '../../shared/async/index.js';
import { AgentDaemon } from '../daemon/agent-daemon.js';
import { DEFAULT_DATA_DIRS } from '../daemon/node-facts.js';
import { selectRuntime } from '../runtime/index.js';
import { addRuntimeOptions, runtimeSelectionFrom, type RuntimeFlags } from './runtime-options.js';

interface AgentFlags extends NatsFlags, RuntimeFlags {
  node: string;
  grpcListen: string;
  grpcAdvertise?: string;
  heartbeat: string;
  dataDir?: string;
  drainTimeout: string;
  spoolDir: string;
  stallTimeout: string;
  maxRate?: string;
}

/** `airlift agent`: the daemon on every node. Runs until SIGTERM/SIGINT, then drains. */
export function agentCommand(output: CliOutput, logger: Logger, setExit: (code: number) => void): Command {
  const command = new Command('agent')
    .description(
      'run the node agent: heartbeats into the fleet registry, serves gRPC, runs jobs for this node',
    )
    .option('--node <name>', "this node's name (use the Kubernetes node name)", hostname())
    .option('--grpc-listen <host:port>', 'gRPC endpoint to serve', '0.0.0.0:7481')
    .option(
      '--grpc-advertise <host:port>',
      'address others dial for this agent (default: host name and bound port)',
    )
    .option('--heartbeat <duration>', 'heartbeat interval', '5s')
    .option(
      '--data-dir <dir>',
      'where the runtime stores images (free space is reported); default by runtime',
    )
    .option(
      '--spool-dir <dir>',
      'where pieces in transfer are kept (resume, serving peers)',
      '/var/lib/airlift/spool',
    )
    .option('--stall-timeout <duration>', 'switch to another source after this long without a piece', '15s')
    .option('--max-rate <rate>', 'most this node receives, e.g. 50MB/s or 200Mbit/s (default: no limit)')
    .option(
      '--drain-timeout <duration>',
      'on SIGTERM, how long a running job may finish before it is aborted',
      '60s',
    );
  addRuntimeOptions(command);
  return addNatsOptions(command).action(async (flags: AgentFlags) => {
    setExit(await runCommand(output, () => runAgent(flags, output, logger)));
  });
}

async function runAgent(flags: AgentFlags, output: CliOutput, logger: Logger): Promise<number> {
  if (!NODE_NAME.test(flags.node)) {
    throw new ConfigInvalidError(
      'command line',
      '--node',
      `${JSON.stringify(flags.node)} is not a valid node name (letters, digits, '.', '-', '_')`,
    );
  }
  const log = logger.child({ node: flags.node });
  const runner = new ExecaRunner(log);
  const maxRate = flags.maxRate === undefined ? undefined : parseRate(flags.maxRate);
  if (flags.maxRate !== undefined && maxRate === undefined) {
    throw new ConfigInvalidError(
      'command line',
      '--max-rate',
      `${JSON.stringify(flags.maxRate)} is not a rate such as 50MB/s or 200Mbit/s`,
    );
  }
  const runtime = await selectRuntime(runtimeSelectionFrom(flags, runner, log));
  const server = new ArchiveServer({ address: flags.grpcListen, logger: log });
  const daemon = new AgentDaemon(
    {
      node: flags.node,
      heartbeatIntervalMs: parseDuration(flags.heartbeat, '--heartbeat'),
      dataDir: flags.dataDir ?? DEFAULT_DATA_DIRS[runtime.kind],
      drainTimeoutMs: parseDuration(flags.drainTimeout, '--drain-timeout'),
      spoolDir: flags.spoolDir,
      stallMs: parseDuration(flags.stallTimeout, '--stall-timeout'),
      ...(maxRate === undefined ? {} : { maxRate: new TokenBucket(maxRate) }),
    },
    {
      connect: () =>
        connectBus(
          { ...natsOptionsFrom(flags, `airlift-agent/${flags.node}`), waitOnFirstConnect: true },
          log,
        ),
      runtime,
      endpoint: {
        start: async () => {
          const bound = await server.start();
          return flags.grpcAdvertise ?? advertisedAddress(bound);
        },
        stop: () => server.stop(),
        registerPieces: (id, source) => {
          server.registerPieces(id, source);
        },
        unregister: (id) => server.unregister(id),
      },
      logger: log,
    },
  );
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      output.err(`airlift agent: ${signal}: draining`);
      void daemon.stop().then(resolve);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  await daemon.start();
  output.err(`airlift agent ${flags.node}: running (${runtime.kind}); stop with SIGTERM`);
  await stopped;
  return ExitCode.Ok;
}
