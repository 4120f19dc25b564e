import { Command, InvalidArgumentError, Option } from 'commander';
import {
  ExitCode,
  formatBytes,
  outputOption,
  printStructured,
  runCommand,
  type CliOutput,
  type OutputFormat,
} from '../../shared/cli/index.js';
import { readLoadImageConfig } from '../../shared/reference/index.js';
import { bundlesToSync, syncBundles, type BundleSyncResult } from '../sync/index.js';

interface SyncFlags {
  config: string;
  concurrency: number;
  insecureRegistry: boolean;
  registryCa?: string;
  skipTlsVerify: boolean;
  output: OutputFormat;
}

const EXAMPLES = [
  '',
  'Examples:',
  '  $ airlift sync kairship_0.21.0.bundle.tar --config load-image.yaml',
  '  $ airlift sync --config load-image.yaml --registry-ca /etc/pki/registry-ca.pem   # every bundle in source.intermediateBundlesPath',
  '  $ airlift sync kairship_0.21.0.bundle.tar --config load-image.yaml --insecure-registry --concurrency 4 -o json',
  '',
].join('\n');

/** `airlift sync [BUNDLE] --config load-image.yaml`: charts-syncer's registry path, straight from the bundle. */
export function syncCommand(output: CliOutput, setExit: (code: number) => void): Command {
  return new Command('sync')
    .description(
      "push a bundle's images to the registry and publish its relocated chart, as charts-syncer sync --config load-image.yaml does",
    )
    .argument(
      '[bundle]',
      'the offline bundle (default: every *.bundle.tar in source.intermediateBundlesPath)',
    )
    .requiredOption(
      '--config <file>',
      "charts-syncer's load-image.yaml: target registry, repository rules, chart repo, auth",
    )
    .addOption(
      new Option('--concurrency <n>', 'blobs uploaded at once (1-16)').argParser(parseConcurrency).default(2),
    )
    .option('--insecure-registry', 'speak plain http to the registry (and to an OCI chart repo)', false)
    .option(
      '--registry-ca <file>',
      "CA bundle that signed the registry's certificate (default: the system's)",
    )
    .option('--skip-tls-verify', "accept any registry certificate (only where the CA can't be had)", false)
    .addOption(outputOption('summary format'))
    .addHelpText('after', EXAMPLES)
    .action(async (bundle: string | undefined, flags: SyncFlags) => {
      setExit(await runCommand(output, () => sync(bundle, flags, output)));
    });
}

async function sync(given: string | undefined, flags: SyncFlags, output: CliOutput): Promise<number> {
  const config = await readLoadImageConfig(flags.config);
  const bundles = await bundlesToSync(given, config, flags.config);
  const started = performance.now();
  const step = (line: string): void => {
    if (flags.output === 'table') output.out(line);
    else output.err(line);
  };
  const results = await syncBundles({
    config,
    configFile: flags.config,
    bundles,
    transport: {
      plainHttp: flags.insecureRegistry,
      skipTlsVerify: flags.skipTlsVerify,
      concurrency: flags.concurrency,
      ...(flags.registryCa === undefined ? {} : { caFile: flags.registryCa }),
    },
    onStep: step,
    onProgress: (_bundle, p) => {
      if (p.imageBytesDone === p.imageBytesTotal) {
        step(
          `image    ${p.image}: ${formatBytes(p.imageBytesTotal)} (${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)})`,
        );
      }
    },
  });
  const seconds = (performance.now() - started) / 1000;
  if (flags.output === 'table') printSummary(results, seconds, output);
  else printStructured(output, flags.output, { durationSeconds: seconds, bundles: results });
  return ExitCode.Ok;
}

function printSummary(results: readonly BundleSyncResult[], seconds: number, output: CliOutput): void {
  for (const r of results) {
    const { images } = r;
    output.out(
      `pushed   ${r.name} ${r.version}: ${images.images.length} images, ${images.manifests.pushed} manifests pushed (${images.manifests.existing} already there); blobs ${images.blobs.uploaded} uploaded, ${images.blobs.mounted} mounted, ${images.blobs.exists} already there; ${formatBytes(images.bytesUploaded)} sent`,
    );
    for (const image of images.images) output.out(`  ${image.targets.join(', ')}  ${image.manifestDigest}`);
    if (r.chart !== undefined) {
      const { published, changes } = r.chart;
      output.out(`chart    ${published.status} to ${published.kind} ${published.location}`);
      for (const c of changes) output.out(`  ${c.file}: ${c.path}: ${c.from} -> ${c.to}`);
    }
  }
  output.out(`done     in ${seconds.toFixed(1)} s`);
}

function parseConcurrency(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 16)
    throw new InvalidArgumentError('must be a whole number from 1 to 16');
  return n;
}
