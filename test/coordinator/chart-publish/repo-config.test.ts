import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createChartPublisher } from '../../../coordinator/chart-publish/index.js';
import { ConfigInvalidError, ErrorCode } from '../../../shared/errors/index.js';
import { parseLoadImageConfig } from '../../../shared/reference/index.js';
import { assertAirliftError, thrownBy } from '../../helpers/airlift-error-assertions.js';

const FILE = 'load-image.yaml';

/** load-image.yaml with the given `target.repo` block (already indented by four spaces). */
function config(repo: string): string {
  return `source:\n  intermediateBundlesPath: /bundles\ntarget:\n  containerRegistry: 10.6.1.1\n  repo:\n${repo}`;
}

/** Parses the text and builds its publisher, as `airlift sync` does. */
function publisherFor(text: string, env: NodeJS.ProcessEnv = {}): ReturnType<typeof createChartPublisher> {
  const parsed = parseLoadImageConfig(text, FILE, env);
  assert.ok(parsed.repo !== undefined, 'the config has a repo');
  return createChartPublisher(parsed.repo, { configFile: FILE, pushOci: () => Promise.resolve() });
}

function expectField(text: string, field: string, fragments: readonly string[]): void {
  const err = assertAirliftError(
    thrownBy(() => publisherFor(text)),
    ConfigInvalidError,
    ErrorCode.ConfigInvalid,
    [FILE, field, ...fragments],
  );
  assert.equal(err.context.field, field);
}

describe('load-image.yaml target.repo → publisher', () => {
  it('builds each kind from charts-syncer spellings', () => {
    assert.equal(publisherFor(config('    kind: LOCAL\n    path: /srv/charts\n')).kind, 'LOCAL');
    assert.equal(
      publisherFor(config('    kind: CHARTMUSEUM\n    url: http://127.0.0.1:8080\n')).target,
      'http://127.0.0.1:8080',
    );
    assert.equal(
      publisherFor(config('    kind: HARBOR\n    url: https://harbor.example/chartrepo/dce\n')).kind,
      'HARBOR',
    );
    assert.equal(publisherFor(config('    kind: OCI\n    url: oci://10.6.1.1/charts\n')).kind, 'OCI');
  });

  it('names target.repo.kind for an unknown or lower-case kind', () => {
    expectField(config('    kind: harbor\n    url: https://h/chartrepo/p\n'), 'target.repo.kind', [
      'HARBOR, CHARTMUSEUM, OCI, LOCAL, JFROG',
    ]);
    expectField(config('    kind: JFROG\n    url: https://jfrog.example\n'), 'target.repo.kind', [
      'JFROG is not supported',
    ]);
  });

  it('names target.repo.url / path when the kind needs one and it is missing or empty', () => {
    expectField(config('    kind: CHARTMUSEUM\n'), 'target.repo.url', ['required for kind CHARTMUSEUM']);
    expectField(config('    kind: HARBOR\n    url: ""\n'), 'target.repo.url', ['required for kind HARBOR']);
    expectField(config('    kind: LOCAL\n    url: http://x\n'), 'target.repo.path', [
      'required for kind LOCAL',
    ]);
    expectField(config('    kind: OCI\n    path: /x\n'), 'target.repo.url', ['required for kind OCI']);
  });

  it('refuses URLs that cannot work, saying what the right shape is', () => {
    expectField(config('    kind: HARBOR\n    url: https://harbor.example\n'), 'target.repo.url', [
      'https://HOST/chartrepo/PROJECT',
    ]);
    expectField(
      config('    kind: HARBOR\n    url: https://harbor.example/chartrepo/a/b\n'),
      'target.repo.url',
      ['chartrepo/PROJECT'],
    );
    expectField(config('    kind: CHARTMUSEUM\n    url: ftp://cm.example\n'), 'target.repo.url', ['http://']);
    expectField(config('    kind: CHARTMUSEUM\n    url: not a url\n'), 'target.repo.url', ['is not a URL']);
  });

  it('refuses credentials in the URL without echoing them', () => {
    const text = config('    kind: CHARTMUSEUM\n    url: http://admin:Hunter2x@cm.example\n');
    const err = thrownBy(() => publisherFor(text));
    assertAirliftError(err, ConfigInvalidError, ErrorCode.ConfigInvalid, [
      'target.repo.url',
      'target.repo.auth',
    ]);
    assert.ok(!(err as Error).message.includes('Hunter2x'));
  });

  it('keeps a trailing slash and a sub-path out of the way of the API path', () => {
    const publisher = publisherFor(
      config('    kind: HARBOR\n    url: https://h.example:8443/chartrepo/dce/\n'),
    );
    assert.equal(publisher.target, 'https://h.example:8443/chartrepo/dce/');
  });

  it('takes repo credentials from TARGET_REPO_AUTH_* and pairs them only when both halves are set', () => {
    const text = config(
      '    kind: CHARTMUSEUM\n    url: http://cm.example\n    auth:\n      username: admin\n',
    );
    assert.equal(parseLoadImageConfig(text, FILE, {}).repo?.auth, undefined);
    const withEnv = parseLoadImageConfig(text, FILE, { TARGET_REPO_AUTH_PASSWORD: 'from-env' });
    const auth = withEnv.repo?.auth;
    assert.ok(auth !== undefined);
    assert.equal(auth.username, 'admin');
    assert.equal(auth.password.reveal(), 'from-env');
    assert.ok(!JSON.stringify(withEnv).includes('from-env'));
  });
});
