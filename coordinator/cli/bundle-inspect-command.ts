import { Command } from 'commander';
import { Bundle, describeHintProblems, type BundleInfo } from '../../shared/bundle/index.js';
import {
  ExitCode,
  formatBytes,
  outputOption,
  printStructured,
  runCommand,
  shortDigest,
  type CliOutput,
  type OutputFormat,
} from '../../shared/cli/index.js';

/** `airlift bundle inspect BUNDLE`: what a bundle holds, judged without writing anything. */
export function bundleInspectCommand(output: CliOutput, setExit: (code: number) => void): Command {
  return new Command('inspect')
    .description('validate a bundle and list its chart, hints and images (writes nothing)')
    .argument('<bundle>', 'the offline bundle, <name>_<version>.bundle.tar')
    .addOption(outputOption())
    .option('--verify-layers', 'also hash every layer against its digest (reads the whole archive)', false)
    .addHelpText(
      'after',
      '\nExamples:\n  $ airlift bundle inspect mymodule_1.2.0.bundle.tar\n  $ airlift bundle inspect mymodule_1.2.0.bundle.tar --verify-layers -o json\n',
    )
    .action(async (path: string, flags: { output: OutputFormat; verifyLayers: boolean }) => {
      setExit(
        await runCommand(output, async () => {
          const bundle = await Bundle.open(path, { verifyLayerDigests: flags.verifyLayers });
          try {
            if (flags.output === 'table') printBundle(bundle.info, output);
            else printStructured(output, flags.output, bundle.info);
            return describeHintProblems(bundle.info.crossCheck).length === 0
              ? ExitCode.Ok
              : ExitCode.BadBundle;
          } finally {
            await bundle.close();
          }
        }),
      );
    });
}

function printBundle(info: BundleInfo, output: CliOutput): void {
  const { chart, archive } = info;
  output.out(`bundle     ${info.file}`);
  output.out(`module     ${info.name} ${info.version}`);
  output.out(
    `chart      ${chart.name} ${chart.version}${chart.appVersion === undefined ? '' : ` (app ${chart.appVersion})`}, ${chart.files.length} files`,
  );
  output.out(`crds       ${chart.crds.length === 0 ? 'none' : chart.crds.join(', ')}`);
  output.out(
    `subcharts  ${chart.subcharts.length === 0 ? 'none' : chart.subcharts.map((s) => `${s.key} (${s.name} ${s.version})`).join(', ')}`,
  );
  output.out(
    `images.tar ${archive.format}, ${formatBytes(info.imagesTar.length)} at byte ${info.imagesTar.offset} of the bundle`,
  );
  for (const image of archive.images) {
    output.out(
      `  image ${shortDigest(image.configDigest)}  ${image.layers.length} layers  ${formatBytes(image.size)}`,
    );
    for (const reference of image.references) output.out(`    ${reference}`);
  }
  output.out(`hints      ${info.hints.length} templates`);
  for (const hint of info.hints)
    output.out(`  [${hint.index}] ${hint.template}\n       -> ${hint.reference ?? '(does not render)'}`);
  for (const line of describeHintProblems(info.crossCheck)) output.out(`problem    ${line}`);
  for (const reference of info.crossCheck.notInHints)
    output.out(`note       ${reference} is in images.tar but named by no hint`);
  for (const warning of archive.warnings) output.out(`warning    ${warning}`);
}
