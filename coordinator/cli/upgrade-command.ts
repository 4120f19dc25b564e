import { resolve } from 'node:path';
import { Command } from 'commander';
import type { Logger } from 'pino';
import {
  durationTextArg,
  parseDuration,
  resolveTrust,
  runCommand,
  type CliOutput,
} from '../../shared/cli/index.js';
import { ConfigInvalidError } from '../../shared/errors/index.js';
import { FROM_REPO_EXAMPLE, fromRepoRequest, type FromRepoFlags } from './from-repo-flags.js';
import { addImagesOptions, imagesRequest, type ImagesFlags } from './images-flags.js';
import { absoluteSessionPaths } from './resume-parameters.js';
import {
  addSessionOptions,
  parsePieceSize,
  parseStripes,
  runUpgradeSession,
  sessionSettings,
  type SessionFlags,
} from './upgrade-session.js';

interface UpgradeFlags extends SessionFlags, FromRepoFlags, ImagesFlags {
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
}

/** `airlift upgrade BUNDLE`: every node verifies every image, then values backup, CRDs and helm upgrade. */
export function upgradeCommand(output: CliOutput, logger: Logger, setExit: (code: number) => void): Command {
  const command = new Command('upgrade')
    .description('bring every node to hold every image of the bundle, verified, then run the helm upgrade')
    .argument('<bundle>', 'the offline bundle, <name>_<version>.bundle.tar')
    .requiredOption('--release <name>', 'the Helm release to upgrade')
    .requiredOption('-n, --namespace <ns>', 'the release namespace')
    .option('--version <version>', 'passed to helm upgrade as --version')
    .option(
      '--image-registry <registry>',
      "registry the cluster pulls from (default: the release's global.imageRegistry)",
    )
    .option('--nodes <list>', 'comma-separated node names, or all', 'all')
    .option(
      '--timeout <duration>',
      'longest the distribution may take (e.g. 30m, 90s)',
      durationTextArg,
      '30m',
    )
    .option('--run-dir <dir>', 'where bak.yaml, the chart and run.json go (default ./airlift-runs/<run id>)')
    .option('--dry-run', 'print the plan and the exact helm/kubectl commands; change nothing', false)
    .option('--allow-hint-mismatch', 'go on when hints.yaml names images images.tar lacks', false)
    .option('--force-load', 'load even on nodes that already hold every image verified', false)
    .option(
      '--from-repo <repo/chart>',
      "upgrade from this chart of a helm repository (helm repo update, search, pull) instead of the bundle's chart; needs --version",
    )
    .option(
      '--repo-url <url>',
      'with --from-repo: `helm repo add`s the repository from this URL when helm lacks it',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ airlift upgrade mymodule_1.2.0.bundle.tar --release mymodule -n prod --dry-run\n  $ airlift upgrade mymodule_1.2.0.bundle.tar --release mymodule -n prod --kube-context prod-admin\n' +
        FROM_REPO_EXAMPLE,
    );
  return addSessionOptions(addImagesOptions(command)).action(
    async (bundlePath: string, flags: UpgradeFlags) => {
      setExit(
        await runCommand(output, async () => {
          const nodes = parseNodes(flags.nodes);
          // Paths absolute now: the run records them, and `airlift resume` may run from another directory.
          const request = {
            bundlePath: resolve(bundlePath),
            release: flags.release,
            namespace: flags.namespace,
            nodes,
            timeoutMs: parseDuration(flags.timeout, '--timeout'),
            dryRun: flags.dryRun,
            allowHintMismatch: flags.allowHintMismatch,
            forceLoad: flags.forceLoad,
            distribution: flags.distribution,
            stripes: parseStripes(flags.stripes),
            pieceSize: parsePieceSize(flags.pieceSize),
            session: absoluteSessionPaths(sessionSettings(flags)),
            ...(flags.version === undefined ? {} : { version: flags.version }),
            ...(flags.imageRegistry === undefined ? {} : { imageRegistry: flags.imageRegistry }),
            ...(flags.runDir === undefined ? {} : { runDir: resolve(flags.runDir) }),
            ...fromRepoRequest(flags),
            ...imagesRequest(flags),
          };
          const setup = await resolveTrust(flags, 'coordinator', 'airlift-upgrade', output);
          return runUpgradeSession(() => Promise.resolve(request), flags, output, logger, setup);
        }),
      );
    },
  );
}

function parseNodes(text: string): 'all' | string[] {
  if (text === 'all') return 'all';
  const nodes = text
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (nodes.length === 0) throw new ConfigInvalidError('command line', '--nodes', 'lists no node');
  return nodes;
}
