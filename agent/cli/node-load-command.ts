import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import { Bundle, describeHintProblems } from '../../shared/bundle/index.js';
import {
  ExitCode,
  formatBytes,
  formatDuration,
  outputOption,
  printStructured,
  runCommand,
  shortDigest,
  type CliOutput,
  type OutputFormat,
} from '../../shared/cli/index.js';
import { ExecaRunner } from '../../shared/exec/index.js';
import { loadableArchiveStream } from '../../shared/image-archive/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { planRetags, resolveRetagRule, type NodeLoadReport } from '../../shared/node-job/index.js';
import { describeRetagRule } from '../../shared/reference/index.js';
import { runNodeLoad } from '../node-load/index.js';
import { selectRuntime } from '../runtime/index.js';
import { addRuntimeOptions, runtimeSelectionFrom, type RuntimeFlags } from './runtime-options.js';

interface NodeLoadFlags extends RuntimeFlags {
  imageRegistry?: string;
  containerRepository?: string;
  loadImageConfig?: string;
  node: string;
  output: OutputFormat;
  skipVerified: boolean;
  allowHintMismatch: boolean;
}

/** `airlift node load BUNDLE`: load, retag and verify every image of a bundle on this node. */
export function nodeLoadCommand(output: CliOutput, logger: Logger, setExit: (code: number) => void): Command {
  const command = new Command('load')
    .description(
      "load every image of a bundle into this node's runtime, retag it to the cluster registry and verify it",
    )
    .argument('<bundle>', 'the offline bundle, <name>_<version>.bundle.tar')
    .option(
      '--image-registry <registry>',
      "registry the cluster pulls from (the release's global.imageRegistry)",
    )
    .option('--container-repository <repo>', 'with --image-registry: relok8s containerRepository rule')
    .option('--load-image-config <file>', 'take the retag rule from a charts-syncer load-image.yaml')
    .addOption(
      new Option('--node <name>', 'name of this node in the report').default(hostname(), 'the host name'),
    )
    .addOption(outputOption('report format'))
    .option('--no-skip-verified', 'load even when every image is already present and verified')
    .option('--allow-hint-mismatch', 'load even when hints.yaml names images the archive lacks', false)
    .addHelpText(
      'after',
      '\nExamples:\n  $ airlift node load mymodule_1.2.0.bundle.tar --image-registry registry.local:5000\n  $ airlift node load mymodule_1.2.0.bundle.tar --runtime containerd -o json\n',
    );
  return addRuntimeOptions(command).action(async (bundlePath: string, flags: NodeLoadFlags) => {
    setExit(await runCommand(output, () => nodeLoad(bundlePath, flags, output, logger)));
  });
}

async function nodeLoad(
  bundlePath: string,
  flags: NodeLoadFlags,
  output: CliOutput,
  logger: Logger,
): Promise<number> {
  const rule = await resolveRetagRule({
    ...(flags.imageRegistry === undefined ? {} : { imageRegistry: flags.imageRegistry }),
    ...(flags.containerRepository === undefined ? {} : { containerRepository: flags.containerRepository }),
    ...(flags.loadImageConfig === undefined ? {} : { loadImageConfig: flags.loadImageConfig }),
  });
  const bundle = await Bundle.open(bundlePath);
  try {
    const hintProblems = describeHintProblems(bundle.info.crossCheck);
    for (const warning of bundle.info.archive.warnings) output.err(`airlift: warning: ${warning}`);
    if (hintProblems.length > 0) {
      for (const line of hintProblems)
        output.err(`airlift: ${flags.allowHintMismatch ? 'warning' : 'error'}: ${line}`);
      if (!flags.allowHintMismatch) {
        output.err(
          'airlift: nothing was loaded; fix the bundle, or pass --allow-hint-mismatch to load anyway',
        );
        return ExitCode.BadBundle;
      }
    }
    const plan = planRetags(bundle.info.archive.images, rule);
    const runtime = await selectRuntime(runtimeSelectionFrom(flags, new ExecaRunner(logger), logger));
    if (flags.output === 'table') {
      output.out(
        `bundle   ${bundle.info.name} ${bundle.info.version} (${bundle.info.archive.images.length} images, ${formatBytes(bundle.info.imagesTar.length)} images.tar)`,
      );
      output.out(`retag    ${describeRetagRule(rule)}`);
    }
    const report = await runNodeLoad({
      node: flags.node,
      runtime,
      plan,
      openArchive: (kind) => loadableArchiveStream(bundle.openImagesStream(), bundle.info.archive, kind),
      skipIfVerified: flags.skipVerified,
      logger,
    });
    await runtime.close();
    if (flags.output === 'table') printReport(report, output);
    else printStructured(output, flags.output, { bundle: bundle.info.file, rule, report });
    return report.ok
      ? ExitCode.Ok
      : report.error?.code === 'RUNTIME_UNAVAILABLE'
        ? ExitCode.RuntimeUnavailable
        : ExitCode.VerificationFailed;
  } finally {
    await bundle.close();
  }
}

function printReport(report: NodeLoadReport, output: CliOutput): void {
  const rt = report.runtime;
  output.out(
    `node     ${report.node}: ${rt.kind} ${rt.version} at ${rt.endpoint}${rt.namespace === undefined ? '' : ` (namespace ${rt.namespace})`}`,
  );
  output.out(
    report.bytesLoaded === 0 && report.ok
      ? 'load     skipped: every image already present and verified'
      : `load     ${formatBytes(report.bytesLoaded)} in ${formatDuration(report.loadMs)}`,
  );
  for (const image of report.images) {
    const mark = image.verified ? 'ok  ' : 'FAIL';
    const steps = `loaded=${yes(image.loaded)} retagged=${yes(image.retagged)} verified=${yes(image.verified)}`;
    output.out(`${mark} ${image.source}`);
    output.out(`       -> ${image.target}  ${shortDigest(image.configDigest)}  ${steps}`);
    if (image.problem !== undefined) output.out(`       problem: ${image.problem}`);
  }
  const verified = report.images.filter((image) => image.verified).length;
  if (report.error !== undefined)
    output.err(`airlift: error [${report.error.code}]: ${report.error.message}`);
  output.out(
    `result   ${verified}/${report.images.length} references verified on ${report.node} in ${formatDuration(report.totalMs)}${report.ok ? '' : ' — NOT all verified'}`,
  );
}

function yes(value: boolean): string {
  return value ? 'yes' : 'no';
}
