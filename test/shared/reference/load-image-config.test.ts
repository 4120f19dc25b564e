import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConfigInvalidError, ErrorCode, hasErrorCode } from '../../../shared/errors/index.js';
import {
  type LoadImageConfig,
  Secret,
  applyRetagRule,
  formatReference,
  parseLoadImageConfig,
  parseReference,
  readLoadImageConfig,
} from '../../../shared/reference/index.js';

const PASSWORD = 'hunter2-Zq9!';
const REPO_PASSWORD = 'chart-pass-77x';
const FILE = '/etc/airlift/load-image.yaml';

const fullConfig = `
source:
  intermediateBundlesPath: charts-dir
target:
  containerRegistry: 10.16.10.111
  containerRepository: release.daocloud.io/kairship
  repoName: ignored-extra-field
  repo:
    kind: HARBOR
    url: https://10.16.10.111/chartrepo/kairship
    auth:
      username: chart-user
      password: ${REPO_PASSWORD}
  containers:
    kind: HARBOR
    auth:
      username: admin
      password: ${PASSWORD}
charts:
  - name: kairship
    versions: [0.21.0]
`;

/** Everything a config or error could show: its string, JSON and inspect forms. */
function renderings(value: unknown): string[] {
  return [String(value), JSON.stringify(value), inspect(value, { depth: Infinity, showHidden: true })];
}

function assertNoSecret(value: unknown, ...secrets: string[]): void {
  for (const text of renderings(value)) {
    for (const secret of secrets) assert.ok(!text.includes(secret), `secret leaked in: ${text}`);
  }
}

function configError(text: string, env: NodeJS.ProcessEnv = {}): ConfigInvalidError {
  try {
    parseLoadImageConfig(text, FILE, env);
  } catch (err) {
    assert.ok(err instanceof ConfigInvalidError, `expected ConfigInvalidError, got ${String(err)}`);
    assert.ok(hasErrorCode(err, ErrorCode.ConfigInvalid));
    assert.equal(err.context.file, FILE);
    return err;
  }
  assert.fail('expected parseLoadImageConfig to throw');
}

describe('parseLoadImageConfig: happy path', () => {
  it('reads the rule, the bundle path, the chart repo and the credentials', () => {
    const config = parseLoadImageConfig(fullConfig, FILE, {});
    assert.deepEqual(config.rule, {
      kind: 'relok8s',
      containerRegistry: '10.16.10.111',
      containerRepository: 'release.daocloud.io/kairship',
    });
    assert.equal(config.intermediateBundlesPath, 'charts-dir');
    assert.equal(config.containerAuth?.username, 'admin');
    assert.equal(config.containerAuth.password.reveal(), PASSWORD);
    assert.equal(config.containerAuth.registry, '10.16.10.111');
    assert.equal(config.repo?.kind, 'HARBOR');
    assert.equal(config.repo.url, 'https://10.16.10.111/chartrepo/kairship');
    assert.equal(config.repo.auth?.username, 'chart-user');
    assert.equal(config.repo.auth.password.reveal(), REPO_PASSWORD);
  });

  it('gives a rule that retags as FACTS.md says', () => {
    const { rule } = parseLoadImageConfig(fullConfig, FILE, {});
    const out = applyRetagRule(
      parseReference('release.daocloud.io/kairship/kairship-apiserver:v0.21.0'),
      rule,
    );
    assert.equal(
      formatReference(out),
      '10.16.10.111/release.daocloud.io/kairship/kairship-apiserver:v0.21.0',
    );
  });

  it('reads the DaoCloud example config (registry, repository, no credentials)', () => {
    const config = parseLoadImageConfig(
      `source:
  intermediateBundlesPath: charts-dir
target:
  containerRegistry: release-ci.daocloud.io
# containerPrefixRegistry: release-ci.daocloud.io
  containerRepository: charts-syncer-auto
  repo:
    kind: HARBOR # or as any other supported Helm Chart repository kinds
    url: https://release-ci.daocloud.io/chartrepo/charts-syncer-auto
`,
      FILE,
      {},
    );
    const expected: LoadImageConfig = {
      rule: {
        kind: 'relok8s',
        containerRegistry: 'release-ci.daocloud.io',
        containerRepository: 'charts-syncer-auto',
      },
      intermediateBundlesPath: 'charts-dir',
      repo: { kind: 'HARBOR', url: 'https://release-ci.daocloud.io/chartrepo/charts-syncer-auto' },
    };
    assert.deepEqual(config, expected);
  });

  it('reads the prefix fields and pairs credentials with the prefix registry', () => {
    const config = parseLoadImageConfig(
      `target:
  containerRegistry: 10.5.14.40
  containerPrefixRegistry: 10.6.1.1
  containerPrefixRepository: mirror
  appendOriginRegistry: true
  containers:
    auth: { username: u, password: p }
`,
      FILE,
      {},
    );
    assert.deepEqual(config.rule, {
      kind: 'relok8s',
      containerRegistry: '10.5.14.40',
      containerPrefixRegistry: '10.6.1.1',
      containerPrefixRepository: 'mirror',
      appendOriginRegistry: true,
    });
    assert.equal(config.containerAuth?.registry, '10.6.1.1');
    assert.equal(config.intermediateBundlesPath, undefined);
  });

  it('treats empty and null values as unset', () => {
    const config = parseLoadImageConfig(
      `source:
  intermediateBundlesPath:
target:
  containerRegistry: 10.5.14.40
  containerRepository: ""
  containerPrefixRegistry:
  appendOriginRegistry: false
  containers:
    auth:
      username: ""
      password:
`,
      FILE,
      {},
    );
    assert.deepEqual(config, { rule: { kind: 'relok8s', containerRegistry: '10.5.14.40' } });
    assert.ok(!('containerRepository' in config.rule));
  });

  it('reads a LOCAL repo with a path, and drops repo auth unless both halves are set', () => {
    const config = parseLoadImageConfig(
      `target:
  containerRegistry: r.io
  repo: { kind: LOCAL, path: /srv/charts, auth: { username: only-user } }
`,
      FILE,
      {},
    );
    assert.deepEqual(config.repo, { kind: 'LOCAL', path: '/srv/charts' });
  });
});

describe('parseLoadImageConfig: credentials from the environment', () => {
  const minimal =
    'target:\n  containerRegistry: 10.5.14.40\n  repo: { kind: OCI, url: oci://10.5.14.40/charts }\n';

  it('takes container credentials from TARGET_CONTAINERS_AUTH_USERNAME / _PASSWORD', () => {
    const config = parseLoadImageConfig(minimal, FILE, {
      TARGET_CONTAINERS_AUTH_USERNAME: 'env-user',
      TARGET_CONTAINERS_AUTH_PASSWORD: PASSWORD,
    });
    assert.equal(config.containerAuth?.username, 'env-user');
    assert.equal(config.containerAuth.password.reveal(), PASSWORD);
    assert.equal(config.containerAuth.registry, '10.5.14.40');
  });

  it('lets the environment win over the file, field by field, and ignores empty variables', () => {
    const config = parseLoadImageConfig(fullConfig, FILE, {
      TARGET_CONTAINERS_AUTH_PASSWORD: 'from-env',
      TARGET_CONTAINERS_AUTH_USERNAME: '',
    });
    assert.equal(config.containerAuth?.username, 'admin');
    assert.equal(config.containerAuth.password.reveal(), 'from-env');
  });

  it('takes chart repo credentials from TARGET_REPO_AUTH_* or the older TARGET_AUTH_*', () => {
    const primary = parseLoadImageConfig(minimal, FILE, {
      TARGET_REPO_AUTH_USERNAME: 'ru',
      TARGET_REPO_AUTH_PASSWORD: 'rp',
      TARGET_AUTH_USERNAME: 'old-u',
      TARGET_AUTH_PASSWORD: 'old-p',
    });
    assert.equal(primary.repo?.auth?.username, 'ru');
    assert.equal(primary.repo.auth.password.reveal(), 'rp');
    const fallback = parseLoadImageConfig(minimal, FILE, {
      TARGET_AUTH_USERNAME: 'old-u',
      TARGET_AUTH_PASSWORD: 'old-p',
    });
    assert.equal(fallback.repo?.auth?.username, 'old-u');
    assert.equal(fallback.repo.auth.password.reveal(), 'old-p');
  });

  it('has no credentials when neither file nor environment gives any', () => {
    const config = parseLoadImageConfig(minimal, FILE, { UNRELATED: 'x' });
    assert.equal(config.containerAuth, undefined);
    assert.equal(config.repo?.auth, undefined);
  });
});

describe('parseLoadImageConfig: errors name the field', () => {
  const cases: [string, string, string, RegExp][] = [
    ['missing target', 'source:\n  intermediateBundlesPath: d\n', 'target', /target: is required/],
    ['target not a mapping', 'target: 10.5.14.40\n', 'target', /must be a mapping/],
    [
      'registry not a string',
      'target:\n  containerRegistry: [a, b]\n',
      'target.containerRegistry',
      /must be a string/,
    ],
    [
      'appendOriginRegistry not a boolean',
      'target:\n  containerPrefixRegistry: r.io\n  appendOriginRegistry: "yes"\n',
      'target.appendOriginRegistry',
      /must be a boolean/,
    ],
    [
      'unknown repo kind',
      'target:\n  containerRegistry: r.io\n  repo: { kind: GITHUB, url: x }\n',
      'target.repo.kind',
      /must be one of HARBOR, CHARTMUSEUM, OCI, LOCAL, JFROG/,
    ],
    [
      'no rewrite at all',
      'target:\n  repo: { kind: OCI, url: x }\n',
      'target.containerRegistry',
      /no rewrite/,
    ],
    [
      'appendOriginRegistry without prefix registry',
      'target:\n  containerRegistry: r.io\n  appendOriginRegistry: true\n',
      'target.appendOriginRegistry',
      /containerPrefixRegistry/,
    ],
    [
      'registry without dot or port',
      'target:\n  containerRegistry: harbor\n',
      'target.containerRegistry',
      /"harbor" is not a registry host/,
    ],
    [
      'uppercase repository',
      'target:\n  containerRegistry: r.io\n  containerRepository: Kairship\n',
      'target.containerRepository',
      /uppercase letters in containerRepository/,
    ],
    [
      'bad prefix repository',
      'target:\n  containerPrefixRegistry: r.io\n  containerPrefixRepository: a//b\n',
      'target.containerPrefixRepository',
      /empty path component/,
    ],
    ['not a mapping', '- a\n- b\n', '', /must be a YAML mapping/],
    ['empty file', '', '', /must be a YAML mapping/],
  ];
  for (const [name, text, field, message] of cases) {
    it(name, () => {
      const err = configError(text);
      assert.equal(err.context.field, field);
      assert.match(err.message, message);
      assert.ok(err.message.startsWith(`${FILE}: `));
    });
  }

  it('a numeric password is refused rather than silently reformatted', () => {
    const err = configError(
      'target:\n  containerRegistry: r.io\n  containers:\n    auth:\n      password: 0123\n',
    );
    assert.equal(err.context.field, 'target.containers.auth.password');
    assert.match(err.message, /must be a string \(quote the value in the YAML\)/);
    assertNoSecret(err, '0123', '123');
  });
});

describe('secrets never leak', () => {
  it('not through String, JSON.stringify or util.inspect of the config', () => {
    const config = parseLoadImageConfig(fullConfig, FILE, {});
    assertNoSecret(config, PASSWORD, REPO_PASSWORD);
    for (const text of renderings(config))
      assert.ok(text.includes('[redacted]') || text === '[object Object]');
    assert.match(JSON.stringify(config), /"password":"\[redacted\]"/);
  });

  it('Secret redacts in every rendering but reveal()', () => {
    const secret = new Secret(PASSWORD);
    assert.equal(String(secret), '[redacted]');
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- interpolation is what is tested
    assert.equal(`${secret}`, '[redacted]');
    assert.equal(JSON.stringify({ secret }), '{"secret":"[redacted]"}');
    assert.equal(inspect(secret), '[redacted]');
    assert.equal(
      inspect({ nested: { secret } }, { depth: Infinity, showHidden: true }),
      '{ nested: { secret: [redacted] } }',
    );
    assert.deepEqual(Object.keys(secret), []);
    assert.equal(secret.reveal(), PASSWORD);
    assert.equal(secret.isEmpty, false);
    assert.equal(new Secret('').isEmpty, true);
  });

  const brokenYaml: [string, string][] = [
    [
      'unterminated quote on the password line',
      `target:\n  containers:\n    auth:\n      password: "${PASSWORD}\n`,
    ],
    [
      '": " inside an unquoted password',
      `target:\n  containers:\n    auth:\n      password: ab: ${PASSWORD}\n`,
    ],
    [
      'bad indentation after the password',
      `target:\n  containers:\n    auth:\n      password: ${PASSWORD}\n     username: x\n`,
    ],
    [
      'duplicate password key',
      `target:\n  containers:\n    auth:\n      password: ${PASSWORD}\n      password: ${PASSWORD}\n`,
    ],
    [
      'password that looks like an alias',
      `target:\n  containerRegistry: r.io\n  containers:\n    auth:\n      password: *${PASSWORD.replace('!', '')}\n`,
    ],
  ];
  for (const [name, text] of brokenYaml) {
    it(`not in the YAML error for ${name}`, () => {
      const err = configError(text);
      assert.equal(err.context.field, '');
      assert.match(err.message, /YAML|alias/);
      assertNoSecret(err, PASSWORD, PASSWORD.replace('!', ''));
      assert.equal(err.cause, undefined);
    });
  }

  it('the YAML error still says where the problem is', () => {
    const err = configError(`target:\n  containers:\n    auth:\n      password: "${PASSWORD}\n`);
    assert.match(
      err.message,
      /YAML syntax error at line \d+, column \d+: a closing quote or bracket is missing/,
    );
  });
});

describe('readLoadImageConfig', () => {
  it('reads a file from disk and applies the environment', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlift-load-image-'));
    try {
      const file = join(dir, 'load-image.yaml');
      await writeFile(file, 'target:\n  containerRegistry: 10.5.14.40\n');
      const config = await readLoadImageConfig(file, { TARGET_CONTAINERS_AUTH_PASSWORD: PASSWORD });
      assert.deepEqual(config.rule, { kind: 'relok8s', containerRegistry: '10.5.14.40' });
      assert.equal(config.containerAuth?.password.reveal(), PASSWORD);
      assert.equal(config.containerAuth.username, '');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a missing file as ConfigInvalidError naming the path', async () => {
    const missing = join(tmpdir(), 'airlift-no-such-dir', 'load-image.yaml');
    await assert.rejects(readLoadImageConfig(missing, {}), (err: unknown) => {
      assert.ok(err instanceof ConfigInvalidError);
      assert.equal(err.context.file, missing);
      assert.match(err.message, /cannot be read \(ENOENT\)/);
      return true;
    });
  });
});
