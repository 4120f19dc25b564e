import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FIXTURES_DIR } from './paths.js';

/**
 * The recording helm and kubectl stand-ins (bash, `test/fixtures/bin/`). Their knobs, all env vars:
 * - AIRLIFT_STANDIN_LOG: file each call appends `{"tool","argv0","argv","cwd"}` to, one JSON line;
 * - AIRLIFT_STANDIN_FAIL: comma list of helm-version, helm-status, helm-get-values, helm-upgrade,
 *   helm-repo-list, helm-repo-add, helm-repo-update, helm-search, helm-pull, helm-history,
 *   helm-rollback, kubectl-version, kubectl-apply: those print a realistic error to stderr and exit 1
 *   (helm-status prints `Error: release: not found`);
 * - AIRLIFT_STANDIN_FAIL_MESSAGE / AIRLIFT_STANDIN_EXIT_CODE: override that error text / exit code;
 * - AIRLIFT_STANDIN_HANG: same names; those sleep for an hour (to test timeouts and aborts);
 * - AIRLIFT_STANDIN_CHART_VERSION: chart version `helm status -o json` reports (default 0.20.0);
 * - AIRLIFT_STANDIN_RELEASE_STATUS: the release status it reports (default deployed);
 * - AIRLIFT_STANDIN_REVISION: the release revision `helm status -o json` reports as `version`
 *   (default 1); `helm history -o json` lists revisions 1 to it, the last one current;
 * - AIRLIFT_STANDIN_REPOS: comma list of name=url `helm repo list -o json` reports (default
 *   `airlift=https://charts.example.invalid/airlift`; `none`: it fails with `no repositories to show`);
 * - AIRLIFT_STANDIN_REPO_VERSIONS: comma list of the chart versions `helm search repo R/C --versions
 *   -o json` lists (default 0.20.0,0.21.0); `helm pull` and `helm upgrade R REPO/CHART` refuse others;
 * - AIRLIFT_STANDIN_PULL_CHART_DIR: the chart directory `helm pull R/C --version V` packages as
 *   C-V.tgz (into `-d D`, or unpacked into `--untardir D` with `--untar`); default a small chart named
 *   C with one file in crds/;
 * - AIRLIFT_STANDIN_VALUES_FILE: what `helm get values` prints (default sets global.imageRegistry);
 * - AIRLIFT_STANDIN_VERBOSE=1: both print `stand-in: no cluster here` to stderr;
 * - AIRLIFT_STANDIN_SLEEP_helm_upgrade / _helm_rollback / _kubectl_apply: seconds that command
 *   sleeps before it answers (it then finishes normally);
 * - AIRLIFT_STANDIN_EXIT_LOG: file each stand-in appends `{"tool","argv","status"}` to when it exits
 *   (status 130/143 when SIGINT/SIGTERM ended it); see readStandInExits.
 */
export const STAND_IN_BIN = join(FIXTURES_DIR, 'bin');
export const HELM_STAND_IN = join(STAND_IN_BIN, 'helm');
export const KUBECTL_STAND_IN = join(STAND_IN_BIN, 'kubectl');

/** The values the helm stand-in prints for `helm get values` unless told otherwise. */
export const STAND_IN_DEFAULT_VALUES = 'global:\n  imageRegistry: 10.16.10.111\n';

/** One recorded call; `argv` excludes the program name. */
export interface StandInCall {
  readonly tool: 'helm' | 'kubectl';
  readonly argv0: string;
  readonly argv: readonly string[];
  readonly cwd: string;
}

const KNOBS = [
  'AIRLIFT_STANDIN_FAIL',
  'AIRLIFT_STANDIN_FAIL_MESSAGE',
  'AIRLIFT_STANDIN_EXIT_CODE',
  'AIRLIFT_STANDIN_HANG',
  'AIRLIFT_STANDIN_CHART_VERSION',
  'AIRLIFT_STANDIN_RELEASE_STATUS',
  'AIRLIFT_STANDIN_REVISION',
  'AIRLIFT_STANDIN_REPOS',
  'AIRLIFT_STANDIN_REPO_VERSIONS',
  'AIRLIFT_STANDIN_PULL_CHART_DIR',
  'AIRLIFT_STANDIN_VALUES_FILE',
  'AIRLIFT_STANDIN_VERBOSE',
  'AIRLIFT_STANDIN_SLEEP_helm_upgrade',
  'AIRLIFT_STANDIN_SLEEP_helm_rollback',
  'AIRLIFT_STANDIN_SLEEP_kubectl_apply',
  'AIRLIFT_STANDIN_EXIT_LOG',
];

/**
 * Env for a child process: the stand-ins first on PATH (this machine has a real kubectl), calls
 * logged to `logFile`, every knob reset so the test's own environment cannot leak in, then `extra`.
 */
export function standInEnv(
  logFile: string,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const cleared = Object.fromEntries(KNOBS.map((knob) => [knob, '']));
  return {
    ...cleared,
    PATH: `${STAND_IN_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    AIRLIFT_STANDIN_LOG: logFile,
    ...extra,
  };
}

/** The calls recorded in `file`, in order; none when the file does not exist. */
export async function readStandInLog(file: string): Promise<StandInCall[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as StandInCall);
}

/** How one stand-in call ended; `argv` excludes the program name. */
export interface StandInExit {
  readonly tool: 'helm' | 'kubectl';
  readonly argv: readonly string[];
  readonly status: number;
}

/** The exits recorded in `file` (AIRLIFT_STANDIN_EXIT_LOG), in order; none when it does not exist. */
export async function readStandInExits(file: string): Promise<StandInExit[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as StandInExit);
}
