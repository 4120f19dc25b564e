import { Option, type Command } from 'commander';
import type { Logger } from 'pino';
import { connectBus, type Bus } from '../../shared/bus/index.js';
import {
  addNatsOptions,
  advertisedAddress,
  addTrustOptions,
  exitCodeFor,
  parseSize,
  unitArg,
  type CliOutput,
  type TrustFlags,
  type TrustSetup,
} from '../../shared/cli/index.js';
import { ExecaRunner } from '../../shared/exec/index.js';
import { ArchiveServer } from '../data-plane/index.js';
import { wholeArchivePieces, type ArchiveAccess } from '../../shared/data-plane/index.js';
import { MAX_STRIPES } from '../../shared/control/index.js';
import { ConfigInvalidError } from '../../shared/errors/index.js';
import { isValidPieceSize } from '../../shared/pieces/index.js';
import {
  DEFAULT_DISTRIBUTION,
  DISTRIBUTION_MODES,
  PLAN_DEFAULTS,
  type DistributionMode,
} from '../upgrade/distribution-plan.js';
import { KubeTools } from '../kube/index.js';
import { OUTPUT_FORMATS, runOutput, type OutputFormat, type RunObserver } from '../upgrade/progress/index.js';
import { runUpgrade } from '../upgrade/upgrade-run.js';
import type { SessionSettings, UpgradeRequest } from '../upgrade/upgrade-request.js';

/** The flags `upgrade` and `resume` share: where the control plane, data plane and cluster tools are. */
export interface SessionFlags extends TrustFlags {
  distribution: DistributionMode;
  stripes: string;
  pieceSize: string;
  listen: string;
  advertise?: string;
  streamListen?: string;
  helm: string;
  kubectl: string;
  kubeconfig?: string;
  kubeContext?: string;
  /** `-o, --output`: text for people, or NDJSON events on stdout. */
  output: OutputFormat;
}

/** Adds the shared connection flags to a command. */
export function addSessionOptions(command: Command): Command {
  command
    .addOption(
      new Option(
        '--distribution <mode>',
        'tree: pieces in stripes, each relayed down its own tree of nodes; chain: node to node; star: all fetch from here',
      )
        .choices(DISTRIBUTION_MODES)
        .default(DEFAULT_DISTRIBUTION),
    )
    .option(
      '--stripes <k>',
      `tree mode: stripes, and children per node in each stripe's tree (1-${MAX_STRIPES})`,
      unitArg((text) => (parseStripes(text), text)),
      String(PLAN_DEFAULTS.stripes),
    )
    .option(
      '--piece-size <size>',
      'bytes per piece, a power of two from 16KiB to 64MiB',
      unitArg((text) => (parsePieceSize(text), text)),
      '4MiB',
    )
    .option('--listen <host:port>', 'data-plane address to serve images.tar on', '0.0.0.0:7480')
    .option(
      '--stream-listen <host:port>',
      "piece stream endpoint, where agents read images.tar's pieces (default: --listen's host, its port + 2: 7482)",
    )
    .option(
      '--advertise <host:port>',
      'address agents dial for images.tar (default: this host name and the bound port)',
    )
    .addOption(
      new Option(
        '-o, --output <format>',
        'text: progress and results for people; json: one JSON event per line on stdout (see README)',
      )
        .choices(OUTPUT_FORMATS)
        .default('text'),
    )
    .option('--helm <path>', 'helm executable', 'helm')
    .option('--kubectl <path>', 'kubectl executable', 'kubectl')
    .option('--kubeconfig <file>', 'passed to helm and kubectl')
    .option('--kube-context <name>', 'passed to helm (--kube-context) and kubectl (--context)');
  addTrustOptions(command, 'coordinator');
  return addNatsOptions(command);
}

/**
 * Connects to NATS, serves the data plane, runs one upgrade and closes everything, also on SIGINT/SIGTERM.
 * The request is made once connected, so `resume` can read it from the runs bucket. With an identity
 * the data plane is mutual TLS and serves the run's nodes only; under --insecure, plaintext.
 */
export async function runUpgradeSession(
  requestFrom: (bus: Bus, output: CliOutput) => Promise<UpgradeRequest>,
  flags: SessionFlags,
  output: CliOutput,
  logger: Logger,
  setup: TrustSetup,
): Promise<number> {
  // `-o json`: events on stdout, the lines for people on stderr; text: timestamped unless on a TTY.
  const { observer, human } = runOutput(flags.output, output, process.stdout.isTTY);
  let code: number;
  try {
    code = await runSession(requestFrom, flags, human, observer, logger, setup);
  } catch (err) {
    observer.runFinished({
      exitCode: exitCodeFor(err),
      error: err instanceof Error ? err.message : String(err),
    });
    throw err;
  }
  observer.runFinished({ exitCode: code });
  return code;
}

async function runSession(
  requestFrom: (bus: Bus, output: CliOutput) => Promise<UpgradeRequest>,
  flags: SessionFlags,
  output: CliOutput,
  observer: RunObserver,
  logger: Logger,
  setup: TrustSetup,
): Promise<number> {
  const dataPlaneTls = setup.dataPlaneTls;
  const abort = new AbortController();
  // The helm/kubectl command the run waits for: a signal never kills it (upgrade-run.ts).
  let waitingFor: string | undefined;
  // `on`, not `once`, and never removed: with no listener left, Node's default action (or execa's
  // signal-exit hook, which re-raises the signal when it is the last listener) would kill the process
  // without run.json or the resume hint. Every signal is answered; the run decides when to stop.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!abort.signal.aborted) {
      output.err(
        waitingFor === undefined
          ? `airlift: ${signal}: stopping the run (nodes keep what they verified)`
          : `airlift: ${signal}: stopping after the running command: ${waitingFor} (it is not killed; no further step will start)`,
      );
      abort.abort(new Error(`interrupted by ${signal}`));
      return;
    }
    output.err(
      waitingFor === undefined
        ? `airlift: ${signal}: already stopping; recording the run's state`
        : `airlift: ${signal}: still waiting for ${waitingFor} to finish; it is not killed (a half-done helm upgrade leaves the release pending-upgrade)`,
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let bus: Bus | undefined;
  let server: ArchiveServer | undefined;
  try {
    bus = await connectBus({ ...setup.nats, name: 'airlift-upgrade' }, logger);
    const request = await requestFrom(bus, output);
    // `resume` takes these from the run's record, so they are known only now.
    const session = request.session ?? sessionSettings(flags);
    const kube = kubeTools(session, logger);
    const archiveServer = new ArchiveServer({
      address: session.listen,
      ...(session.streamListen === undefined ? {} : { streamAddress: session.streamListen }),
      logger,
      ...(dataPlaneTls === undefined ? {} : { tls: dataPlaneTls }),
    });
    server = archiveServer;
    const bound = request.dryRun ? session.listen : await archiveServer.start();
    const agentsDial = session.advertise ?? advertisedAddress(bound);
    return await runUpgrade(request, {
      bus,
      kube,
      trust: setup.trust,
      archives: {
        register: (id, source, pieceSize, nodes) => {
          // Plaintext (--insecure) identifies nobody, so it cannot hold anyone back either.
          const access: ArchiveAccess =
            dataPlaneTls === undefined ? { kind: 'anyone' } : { kind: 'nodes', names: nodes };
          archiveServer.registerPieces(id, wholeArchivePieces(source, pieceSize), access);
        },
        unregister: (id) => archiveServer.unregister(id),
        advertisedAddress: agentsDial,
      },
      dataPlaneTls,
      output,
      observer,
      signal: abort.signal,
      onWaitingFor: (command) => {
        waitingFor = command;
      },
      logger,
    });
  } finally {
    // The signal listeners stay until the process exits (they do not keep it alive): removed, a
    // second Ctrl-C in the moment between the run's end and the exit would end it with 130.
    await server?.stop();
    await bus?.drain();
  }
}

/** The session flags as given (or defaulted) on the command line. */
export function sessionSettings(flags: SessionFlags): SessionSettings {
  return {
    listen: flags.listen,
    helm: flags.helm,
    kubectl: flags.kubectl,
    ...(flags.advertise === undefined ? {} : { advertise: flags.advertise }),
    ...(flags.streamListen === undefined ? {} : { streamListen: flags.streamListen }),
    ...(flags.kubeconfig === undefined ? {} : { kubeconfig: flags.kubeconfig }),
    ...(flags.kubeContext === undefined ? {} : { kubeContext: flags.kubeContext }),
  };
}

function kubeTools(session: SessionSettings, logger: Logger): KubeTools {
  return new KubeTools({
    runner: new ExecaRunner(logger),
    helmPath: session.helm,
    kubectlPath: session.kubectl,
    logger,
    ...(session.kubeconfig === undefined ? {} : { kubeconfig: session.kubeconfig }),
    ...(session.kubeContext === undefined ? {} : { kubeContext: session.kubeContext }),
  });
}

/** `4MiB`, `1MiB`, `262144`… as bytes; must be a piece size the manifest accepts. */
export function parsePieceSize(text: string): number {
  const bytes = parseSize(text, '--piece-size');
  if (!isValidPieceSize(bytes)) {
    throw new ConfigInvalidError(
      'command line',
      '--piece-size',
      `${JSON.stringify(text)} is not a power of two from 16KiB to 64MiB`,
    );
  }
  return bytes;
}

/** `--stripes`: an integer from 1 to MAX_STRIPES. */
export function parseStripes(text: string): number {
  const stripes = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isInteger(stripes) || stripes < 1 || stripes > MAX_STRIPES) {
    throw new ConfigInvalidError(
      'command line',
      '--stripes',
      `${JSON.stringify(text)} is not an integer from 1 to ${MAX_STRIPES}`,
    );
  }
  return stripes;
}
