import type { BundleInfo } from '../../shared/bundle/index.js';
import type { CliOutput } from '../../shared/cli/index.js';
import { formatBytes } from '../../shared/cli/index.js';
import type { RetagPlan } from '../../shared/node-job/index.js';
import { formatArgv, type KubePlan } from '../kube/index.js';
import type { PreflightResult } from './preflight.js';

/** Prints what `airlift upgrade` would do: nodes, images and retags, and the exact kube commands. */
export function printDryRun(
  output: CliOutput,
  bundle: BundleInfo,
  checks: PreflightResult,
  plan: RetagPlan,
  kube: KubePlan,
): void {
  output.out(`plan (dry run: nothing was changed)`);
  output.out(
    `bundle    ${bundle.name} ${bundle.version}: ${bundle.archive.images.length} images, ${formatBytes(bundle.imagesTar.length)} images.tar`,
  );
  output.out(`registry  ${checks.imageRegistry ?? '(unknown)'} (from ${checks.registrySource ?? 'nowhere'})`);
  output.out(`nodes     ${checks.targets.length}`);
  for (const row of checks.targets) {
    const hb = row.heartbeat;
    output.out(
      `  ${row.node}  ${row.health}  ${hb.runtime.kind} ${hb.runtime.version}  ${formatBytes(hb.disk.freeBytes)} free`,
    );
  }
  output.out(`retag     ${plan.entries.length} references on every node`);
  for (const entry of plan.entries) output.out(`  ${entry.source} -> ${entry.target}`);
  output.out('kube phase, after every node verified every image:');
  for (const step of kube.steps) {
    output.out(`  ${step.step}: ${step.note}`);
    for (const argv of step.commands) output.out(`    $ ${formatArgv(argv)}`);
  }
  for (const failure of checks.failures) {
    output.out(
      `preflight would fail: ${failure.check}${failure.node === undefined ? '' : ` ${failure.node}`}: ${failure.message}`,
    );
  }
}
