import { execa } from 'execa';
import type { RunState } from '../../shared/control/index.js';
import type { FleetNode, LocalFleet } from '../helpers/local-fleet.js';
import { runCli, type CliRun } from '../helpers/run-cli.js';

/** Every image reference the node's runtime holds, read with the runtime's own CLI (not airlift's code). */
export async function referencesOn(node: FleetNode): Promise<string[]> {
  if (node.containerd !== undefined) {
    const { stdout } = await execa(
      'ctr',
      ['-a', node.containerd.address, '-n', 'k8s.io', 'images', 'ls', '-q'],
      {
        timeout: 30_000,
      },
    );
    return stdout.split('\n').filter((l) => l !== '');
  }
  const { stdout } = await execa(
    'docker',
    ['-H', node.dockerd!.host, 'images', '--format', '{{.Repository}}:{{.Tag}}'],
    { timeout: 30_000 },
  );
  return stdout.split('\n').filter((l) => l !== '');
}

/** Every run the runs bucket holds, newest last. */
export async function storedRuns(fleet: LocalFleet): Promise<RunState[]> {
  const kv = await fleet.bus.kv('airlift-runs');
  const runs: RunState[] = [];
  for (const key of (await kv.keys()).sort()) {
    const entry = await kv.get(key);
    if (entry !== undefined) runs.push(JSON.parse(Buffer.from(entry.value).toString('utf8')) as RunState);
  }
  return runs;
}

/** `airlift upgrade` against the fleet, as an operator runs it on the spark node. */
export function upgrade(
  fleet: LocalFleet,
  bundle: string,
  runDir: string,
  env: Record<string, string>,
  extra: readonly string[] = [],
): Promise<CliRun> {
  return runCli(upgradeArgs(fleet, bundle, runDir, extra), env);
}

/** The arguments of `upgrade()` (after the CLI path), for tests that start the process themselves. */
export function upgradeArgs(
  fleet: LocalFleet,
  bundle: string,
  runDir: string,
  extra: readonly string[] = [],
): string[] {
  return [
    'upgrade',
    bundle,
    '--release',
    'kairship',
    '--namespace',
    'kairship-system',
    ...fleet.coordinatorArgs,
    '--listen',
    '127.0.0.1:0',
    '--run-dir',
    runDir,
    '--timeout',
    '120s',
    ...extra,
  ];
}

/** `airlift status --output json` parsed. */
export async function statusRows(
  fleet: LocalFleet,
): Promise<{ node: string; health: string; state: string }[]> {
  const run = await runCli(['status', ...fleet.coordinatorArgs, '--output', 'json']);
  if (run.exitCode !== 0 && run.exitCode !== 11) throw new Error(`airlift status failed: ${run.stderr}`);
  const rows = JSON.parse(run.stdout) as { node: string; health: string; state: string }[];
  // Exit 11 says some agent is not healthy (or none announced itself), and only then.
  const unhealthy = rows.length === 0 || rows.some((row) => row.health !== 'healthy');
  if (run.exitCode !== (unhealthy ? 11 : 0)) {
    throw new Error(`airlift status exited ${run.exitCode} for ${JSON.stringify(rows.map((r) => r.health))}`);
  }
  return rows;
}
