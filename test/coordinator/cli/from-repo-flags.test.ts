import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromRepoRequest } from '../../../coordinator/cli/from-repo-flags.js';
import { resumeRequest, type ResumeFlags } from '../../../coordinator/cli/resume-parameters.js';
import { runStateSchema, type RunState } from '../../../shared/control/index.js';
import { ConfigInvalidError } from '../../../shared/errors/index.js';

describe('fromRepoRequest', () => {
  it('gives REPO/CHART and the URL; nothing without --from-repo', () => {
    assert.deepEqual(
      fromRepoRequest({ fromRepo: 'daocloud/kairship', repoUrl: 'http://10.6.0.1:8081', version: '0.21.0' }),
      { fromRepo: { repo: 'daocloud', chart: 'kairship', repoUrl: 'http://10.6.0.1:8081' } },
    );
    assert.deepEqual(fromRepoRequest({ version: '0.21.0' }), {});
  });

  it('refuses --from-repo without --version, and --repo-url without --from-repo', () => {
    assert.throws(() => fromRepoRequest({ fromRepo: 'daocloud/kairship' }), ConfigInvalidError);
    assert.throws(() => fromRepoRequest({ repoUrl: 'http://10.6.0.1:8081' }), /--repo-url/);
    assert.throws(
      () => fromRepoRequest({ fromRepo: 'daocloud/kairship', repoUrl: 'ftp://x', version: '1' }),
      /--repo-url/,
    );
  });
});

describe('resumeRequest of a --from-repo run', () => {
  it('carries the repository, its URL and the revision recorded before the first run', () => {
    const state: RunState = {
      v: 1,
      runId: 'r20261207-014000-3f9a',
      release: 'kairship',
      namespace: 'kairship-system',
      bundle: '/srv/kairship_0.21.0.bundle.tar',
      chartVersion: '0.21.0',
      version: '0.21.0',
      imageRegistry: 'registry.local:5000',
      runDir: '/srv/airlift-runs/r20261207-014000-3f9a',
      parameters: { fromRepo: 'daocloud/kairship', repoUrl: 'http://10.6.0.1:8081' },
      revisionBefore: 7,
      startedAt: '2026-12-07T01:40:00.000Z',
      updatedAt: '2026-12-07T01:41:00.000Z',
      phase: 'failed',
      nodes: {},
    };
    const flags: ResumeFlags = {
      timeout: '30m',
      forceLoad: false,
      force: false,
      distribution: 'chain',
      stripes: '2',
      pieceSize: '4MiB',
      listen: '0.0.0.0:7480',
      helm: 'helm',
      kubectl: 'kubectl',
      insecure: false,
      output: 'text',
    };
    const request = resumeRequest(runStateSchema.parse(state), flags, () => false);
    assert.deepEqual(request.fromRepo, {
      repo: 'daocloud',
      chart: 'kairship',
      repoUrl: 'http://10.6.0.1:8081',
    });
    assert.equal(request.revisionBefore, 7);
    assert.equal(request.version, '0.21.0');
  });
});
