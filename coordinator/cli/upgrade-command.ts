import { hostname } from 'node:os';
import { Command } from 'commander';
import type { Logger } from 'pino';
import { connectBus } from '../../shared/bus/index.js';
import {
  addNatsOptions,
  natsOptionsFrom,
  runCommand,
  type CliOutput,
  type NatsFlags,
} from '../../shared/cli/index.js';
import { ConfigInvalidError } from '../../shared/errors/index.js';
import { ExecaRunner } from '../../shared/exec/index.js';
import { ArchiveServer } from '../data-plane/index.js';
import { KubeTools } from '../kube/index.js';
import { PlainProgressView, TtyProgressView } from '../upgrade/progress-view.js';
import { runUpgrade } from '../upgrade/upgrade-run.js';
import { parseDuration } from './duration.js';

interface UpgradeFlags extends NatsFlags {
  release: string;
  namespace: string;
  version?: string;
  imageRegistry?: string;
  nodes: string;
  timeout: string;
  runDir?: string;
  dryRun: boolean;
  allowHintMismatch: boolean;
  forceLoad: boolean;
  listen: string;
  advertise?: string;
  helm: string;
  kubectl: string;
  kubeconfig?: string;
  kubeContext?: string;
}

/** `airlift upgrade BUNDLE`: every node verifies every image, then values backup, CRDs and helm upgrade. */
export function upgradeCommand(output: CliOutput, logger: Logger, setExit: (code: number) => void): Command {
  const command = new Command('upgrade')
    .description('bring every node to hold every image of the bundle, verified, then run the helm upgrade')
    .argument('<bundle>', 'the offline bundle, <name>_<version>.bundle.tar')
    .requiredOption('--release <name>', 'the Helm release to upgrade')
    .requiredOption('--namespace <ns>', 'the release namespace')
    .option('--version <version>', 'passed to helm upgrade as --version')
    .option(
      '--image-registry <registry>',
      "registry the cluster pulls from (default: the release's global.imageRegistry)",
    )
    .option('--nodes <list>', 'comma-separated node names, or all', 'all')
    .option('--timeout <duration>', 'longest the distribution may take (e.g. 30m, 90s)', '30m')
    .option('--run-dir <dir>', 'where bak.yaml, the chart and run.json go (default ./airlift-runs/<run id>)')
    .option('--dry-run', 'print the plan and the exact helm/kubectl commands; change nothing', false)
    .option('--allow-hint-mismatch', 'go on when hints.yaml names images images.tar lacks', false)
    .option('--force-load', 'load even on nodes that already hold every image verified', false)
    .option('--listen <host:port>', 'data-plane address to serve images.tar on', '0.0.0.0:7480')
    .option(
      '--advertise <host:port>',
      'address agents dial for images.tar (default: this host name and the bound port)',
    )
    .option('--helm <path>', 'helm executable', 'helm')
    .option('--kubectl <path>', 'kubectl executable', 'kubectl')
    .option('--kubeconfig <file>', 'passed to helm and kubectl')
    .option('--kube-context <name>', 'passed to helm (--kube-context) and kubectl (--context)');
  return addNatsOptions(command).action(async (bundlePath: string, flags: UpgradeFlags) => {
    setExit(await runCommand(output, () => upgrade(bundlePath, flags, output, logger)));
  });
}

async function upgrade(
  bundlePath: string,
  flags: UpgradeFlags,
  output: CliOutput,
  logger: Logger,
): Promise<number> {
  const nodes =
    flags.nodes === 'all'
      ? 'all'
      : flags.nodes
          .split(',')
          .map((n) => n.trim())
          .filter((n) => n !== '');
  if (nodes !== 'all' && nodes.length === 0)
    throw new ConfigInvalidError('command line', '--nodes', 'lists no node');
  const timeoutMs = parseDuration(flags.timeout, '--timeout');
  const abort = new AbortController();
  const onSignal = (): void => {
    output.err('airlift: interrupted; stopping the run (nodes keep what they verified)');
    abort.abort(new Error('interrupted'));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const runner = new ExecaRunner(logger);
  const kube = new KubeTools({
    runner,
    helmPath: flags.helm,
    kubectlPath: flags.kubectl,
    logger,
    ...(flags.kubeconfig === undefined ? {} : { kubeconfig: flags.kubeconfig }),
    ...(flags.kubeContext === undefined ? {} : { kubeContext: flags.kubeContext }),
  });
  const bus = await connectBus(natsOptionsFrom(flags, 'airlift-upgrade'), logger);
  const server = new ArchiveServer({ address: flags.listen, logger });
  try {
    const bound = flags.dryRun ? flags.listen : await server.start();
    const advertisedAddress = flags.advertise ?? advertise(bound);
    return await runUpgrade(
      {
        bundlePath,
        release: flags.release,
        namespace: flags.namespace,
        nodes,
        timeoutMs,
        dryRun: flags.dryRun,
        allowHintMismatch: flags.allowHintMismatch,
        forceLoad: flags.forceLoad,
        ...(flags.version === undefined ? {} : { version: flags.version }),
        ...(flags.imageRegistry === undefined ? {} : { imageRegistry: flags.imageRegistry }),
        ...(flags.runDir === undefined ? {} : { runDir: flags.runDir }),
      },
      {
        bus,
        kube,
        archives: {
          register: (id, source) => {
            server.register(id, source);
          },
          unregister: (id) => server.unregister(id),
          advertisedAddress,
        },
        output,
        view: (targets, total) =>
          process.stdout.isTTY
            ? new TtyProgressView(targets, total)
            : new PlainProgressView((line) => {
                output.out(line);
              }),
        signal: abort.signal,
        logger,
      },
    );
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await server.stop();
    await bus.drain();
  }
}

// 0.0.0.0 is where we listen, not where agents can reach us: offer this host's name instead.
function advertise(bound: string): string {
  const port = bound.slice(bound.lastIndexOf(':') + 1);
  const host = bound.slice(0, bound.lastIndexOf(':'));
  return host === '0.0.0.0' || host === '[::]' || host === '::' ? `${hostname()}:${port}` : bound;
}
