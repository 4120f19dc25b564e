import { parseRepoChart, requireVersion, type RepoChart } from '../kube/index.js';
import { ConfigInvalidError } from '../../shared/errors/index.js';

/** The flags of `airlift upgrade` that select a chart from a helm repository. */
export interface FromRepoFlags {
  fromRepo?: string;
  repoUrl?: string;
  version?: string;
}

/** `--from-repo REPO/CHART [--repo-url URL]` as the request's field; `--version` is then required. */
export function fromRepoRequest(flags: FromRepoFlags): { fromRepo?: RepoChart } {
  if (flags.fromRepo === undefined) {
    if (flags.repoUrl !== undefined) {
      throw new ConfigInvalidError(
        'command line',
        '--repo-url',
        'only means something with --from-repo REPO/CHART',
      );
    }
    return {};
  }
  requireVersion(flags.version);
  return { fromRepo: parseRepoChart(flags.fromRepo, flags.repoUrl) };
}

/** Help text lines for the from-repo path, shown after the options. */
export const FROM_REPO_EXAMPLE =
  '  $ airlift upgrade mymodule_1.2.0.bundle.tar --release mymodule -n prod --from-repo daocloud/mymodule --version 1.2.0 --repo-url http://10.16.10.111:8081\n';
