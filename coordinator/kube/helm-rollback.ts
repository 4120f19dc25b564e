import { z } from 'zod';
import { checkNamespace, checkReleaseName } from './kube-arguments.js';
import { parseJson } from './helm-repo.js';
import type { KubeTools, ToolRun } from './kube-tools.js';

/** One revision of a release, as `helm history -o json` lists it. */
export interface HistoryEntry {
  readonly revision: number;
  readonly status: string;
  /** `<name>-<version>`, as helm prints it. */
  readonly chart: string;
  readonly appVersion: string;
  readonly description: string;
}

const HistoryJson = z.array(
  z.object({
    revision: z.number(),
    status: z.string(),
    chart: z.string(),
    app_version: z.string().optional(),
    description: z.string().optional(),
  }),
);

/** `helm history R -n NS -o json`. */
export function historyCommand(tools: KubeTools, release: string, namespace: string): readonly string[] {
  return tools.helmCommand([
    'history',
    checkReleaseName(release),
    '-n',
    checkNamespace(namespace),
    '-o',
    'json',
  ]);
}

/** `helm get values R -n NS --revision REV -o yaml`. */
export function valuesAtRevisionCommand(
  tools: KubeTools,
  release: string,
  namespace: string,
  revision: number,
): readonly string[] {
  return tools.helmCommand([
    'get',
    'values',
    checkReleaseName(release),
    '-n',
    checkNamespace(namespace),
    '--revision',
    String(revision),
    '-o',
    'yaml',
  ]);
}

/** `helm rollback R REV -n NS [--wait]`. */
export function rollbackCommand(
  tools: KubeTools,
  release: string,
  namespace: string,
  revision: number,
  wait: boolean,
): readonly string[] {
  return tools.helmCommand([
    'rollback',
    checkReleaseName(release),
    String(revision),
    '-n',
    checkNamespace(namespace),
    ...(wait ? ['--wait'] : []),
  ]);
}

/** The release's revisions, oldest first. */
export async function readHistory(
  tools: KubeTools,
  release: string,
  namespace: string,
  signal?: AbortSignal,
): Promise<ToolRun & { readonly entries: readonly HistoryEntry[] }> {
  const argv = historyCommand(tools, release, namespace);
  const run = await tools.runCommand(argv, signal);
  const entries = parseJson(argv, run.stdout, HistoryJson).map((e) => ({
    revision: e.revision,
    status: e.status,
    chart: e.chart,
    appVersion: e.app_version ?? '',
    description: e.description ?? '',
  }));
  return { ...run, entries: entries.sort((a, b) => a.revision - b.revision) };
}
