import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeTools, ToolRun } from '../../../coordinator/kube/index.js';
import { repoChartProblem } from '../../../coordinator/upgrade/repo-preflight.js';

/** helm as the repo check uses it: the repositories it knows and the versions a search lists. */
function fakeHelm(repos: Record<string, string>, versions: readonly string[]) {
  const calls: string[] = [];
  const fake = {
    helmCommand: (args: readonly string[]) => ['helm', ...args],
    runCommand: (argv: readonly string[]): Promise<ToolRun> => {
      const line = argv.slice(1).join(' ');
      calls.push(line);
      let stdout = '';
      if (line.startsWith('repo list')) {
        stdout = JSON.stringify(Object.entries(repos).map(([name, url]) => ({ name, url })));
      } else if (line.startsWith('search repo')) {
        stdout = JSON.stringify([
          ...versions.map((version) => ({ name: 'site/kairship', version })),
          { name: 'site/kairship-extra', version: '9.9.9' },
        ]);
      }
      return Promise.resolve({ argv, stdout, stderr: '', durationMs: 1 });
    },
  };
  return { kube: fake as unknown as KubeTools, calls };
}

const signal = new AbortController().signal;
const target = (repoUrl?: string, dryRun = false) => ({
  source: { repo: 'site', chart: 'kairship', ...(repoUrl === undefined ? {} : { repoUrl }) },
  version: '0.21.0',
  dryRun,
});

describe('repoChartProblem (preflight of --from-repo)', () => {
  it('passes when helm knows the repository and its refreshed index lists the version', async () => {
    const { kube, calls } = fakeHelm({ site: 'https://charts.local/site' }, ['0.20.0', '0.21.0']);
    assert.equal(await repoChartProblem(kube, target(), signal), undefined);
    assert.deepEqual(calls, [
      'repo list -o json',
      'repo update site',
      'search repo site/kairship --versions -o json',
    ]);
  });

  it('names the versions the repository has when the one asked for is not among them', async () => {
    const { kube } = fakeHelm({ site: 'https://charts.local/site' }, ['0.19.0', '0.20.0']);
    assert.equal(
      await repoChartProblem(kube, target(), signal),
      'site/kairship 0.21.0 is not in repository site: versions listed: 0.19.0, 0.20.0',
    );
  });

  it('names the repositories helm has when it lacks this one and no --repo-url says where it is', async () => {
    const { kube, calls } = fakeHelm({ other: 'https://charts.local/other' }, []);
    const problem = await repoChartProblem(kube, target(), signal);
    assert.match(
      problem ?? '',
      /^helm has no repository site \(helm repo list: other\): pass --repo-url URL/,
    );
    assert.deepEqual(calls, ['repo list -o json']);
  });

  it('leaves a repository that --repo-url will add to the kube phase, and a dry run to the listing', async () => {
    const absent = fakeHelm({}, []);
    assert.equal(await repoChartProblem(absent.kube, target('https://charts.local/site'), signal), undefined);
    assert.deepEqual(absent.calls, ['repo list -o json']);
    const dry = fakeHelm({ site: 'https://charts.local/site' }, []);
    assert.equal(await repoChartProblem(dry.kube, target(undefined, true), signal), undefined);
    assert.deepEqual(dry.calls, ['repo list -o json']);
  });
});
