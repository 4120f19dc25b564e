import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, InvalidReferenceError, hasErrorCode } from '../../../shared/errors/index.js';
import {
  type RetagRule,
  applyRetagRule,
  describeRetagRule,
  findRetagRuleProblem,
  formatReference,
  parseReference,
} from '../../../shared/reference/index.js';
import { imageReference, registry, repository } from './reference-arbitraries.js';

const SHA = 'sha256:' + 'c'.repeat(64);

function retag(input: string, rule: RetagRule): string {
  return formatReference(applyRetagRule(parseReference(input), rule));
}

function assertRuleError(fn: () => unknown, field: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InvalidReferenceError);
    assert.ok(hasErrorCode(err, ErrorCode.InvalidReference));
    assert.equal(err.context.field, field);
    assert.match(err.message, message);
    return true;
  });
}

describe('FACTS.md examples (relok8s rules via charts-syncer)', () => {
  it('registry only 10.5.14.40', () => {
    assert.equal(
      retag('ghcr.io/daocloud/dao-2048:v1.4.1', { kind: 'relok8s', containerRegistry: '10.5.14.40' }),
      '10.5.14.40/daocloud/dao-2048:v1.4.1',
    );
  });

  it('registry 10.16.10.111, repository release.daocloud.io/kairship', () => {
    assert.equal(
      retag('release.daocloud.io/kairship/kairship-apiserver:v0.21.0', {
        kind: 'relok8s',
        containerRegistry: '10.16.10.111',
        containerRepository: 'release.daocloud.io/kairship',
      }),
      '10.16.10.111/release.daocloud.io/kairship/kairship-apiserver:v0.21.0',
    );
  });
});

describe('registry rule (global.imageRegistry)', () => {
  it('replaces only the registry', () => {
    assert.equal(
      retag('ghcr.io/daocloud/dao-2048:v1.4.1', { kind: 'registry', registry: '10.5.14.40' }),
      '10.5.14.40/daocloud/dao-2048:v1.4.1',
    );
    assert.equal(
      retag(`release.daocloud.io/a/b/c:1@${SHA}`, { kind: 'registry', registry: '10.6.1.1:5000' }),
      `10.6.1.1:5000/a/b/c:1@${SHA}`,
    );
  });

  it('keeps the library/ path of Docker Hub images', () => {
    assert.equal(
      retag('nginx:1.25', { kind: 'registry', registry: 'harbor.local' }),
      'harbor.local/library/nginx:1.25',
    );
  });

  it('accepts a registry value with a project path, as charts-syncer does', () => {
    const ref = applyRetagRule(parseReference('ghcr.io/x/app:1'), {
      kind: 'registry',
      registry: 'harbor.local/dce',
    });
    assert.deepEqual(ref, { registry: 'harbor.local', repository: 'dce/x/app', tag: '1' });
  });

  it('refuses a registry that would be read as a Docker Hub path', () => {
    assertRuleError(
      () => applyRetagRule(parseReference('ghcr.io/x/app:1'), { kind: 'registry', registry: 'myregistry' }),
      'registry',
      /"myregistry" is not a registry host/,
    );
  });

  it('refuses an empty or malformed registry, naming the field', () => {
    const ref = parseReference('ghcr.io/x/app:1');
    assertRuleError(
      () => applyRetagRule(ref, { kind: 'registry', registry: '' }),
      'registry',
      /registry is empty/,
    );
    assertRuleError(
      () => applyRetagRule(ref, { kind: 'registry', registry: 'bad_host.io' }),
      'registry',
      /invalid registry host "bad_host.io"/,
    );
    assertRuleError(
      () => applyRetagRule(ref, { kind: 'registry', registry: 'r.io/Project' }),
      'registry',
      /uppercase letters in registry path/,
    );
  });

  it('keeps repository, tag and digest and sets the registry (property)', () => {
    fc.assert(
      fc.property(imageReference, registry, (ref, newRegistry) => {
        const out = applyRetagRule(ref, { kind: 'registry', registry: newRegistry });
        assert.deepEqual(out, { ...ref, registry: newRegistry });
      }),
      { numRuns: 300 },
    );
  });
});

describe('relok8s rule variants (DaoCloud charts-syncer rewrite_action.go)', () => {
  const image = 'ghcr.io/daocloud/dao-2048:v1.4.1';

  it('containerRepository alone keeps the registry and the last path segment', () => {
    assert.equal(
      retag(image, { kind: 'relok8s', containerRepository: 'mirror/apps' }),
      'ghcr.io/mirror/apps/dao-2048:v1.4.1',
    );
  });

  it('containerPrefixRegistry moves the origin registry into the repository', () => {
    assert.equal(
      retag(image, { kind: 'relok8s', containerPrefixRegistry: '10.6.1.1' }),
      '10.6.1.1/ghcr.io/daocloud/dao-2048:v1.4.1',
    );
  });

  it('containerPrefixRegistry takes precedence over containerRegistry', () => {
    assert.equal(
      retag(image, { kind: 'relok8s', containerRegistry: '10.5.14.40', containerPrefixRegistry: '10.6.1.1' }),
      '10.6.1.1/ghcr.io/daocloud/dao-2048:v1.4.1',
    );
  });

  it('containerPrefixRepository alone prefixes the whole repository', () => {
    assert.equal(
      retag(image, { kind: 'relok8s', containerPrefixRepository: 'mirror' }),
      'ghcr.io/mirror/daocloud/dao-2048:v1.4.1',
    );
    assert.equal(
      retag(image, { kind: 'relok8s', containerRegistry: '10.5.14.40', containerPrefixRepository: 'mirror' }),
      '10.5.14.40/mirror/daocloud/dao-2048:v1.4.1',
    );
  });

  it('containerPrefixRegistry with containerPrefixRepository puts the origin registry first', () => {
    assert.equal(
      retag(image, {
        kind: 'relok8s',
        containerPrefixRegistry: '10.6.1.1',
        containerPrefixRepository: 'mirror',
      }),
      '10.6.1.1/ghcr.io/mirror/daocloud/dao-2048:v1.4.1',
    );
  });

  it('appendOriginRegistry appends the origin to the prefix registry and drops containerPrefixRepository', () => {
    assert.equal(
      retag(image, { kind: 'relok8s', containerPrefixRegistry: '10.6.1.1', appendOriginRegistry: true }),
      '10.6.1.1/ghcr.io/daocloud/dao-2048:v1.4.1',
    );
    assert.equal(
      retag(image, {
        kind: 'relok8s',
        containerPrefixRegistry: '10.6.1.1',
        containerPrefixRepository: 'mirror',
        appendOriginRegistry: true,
      }),
      '10.6.1.1/ghcr.io/daocloud/dao-2048:v1.4.1',
    );
  });

  it('containerRepository overrides every prefix variant', () => {
    assert.equal(
      retag(image, {
        kind: 'relok8s',
        containerPrefixRegistry: '10.6.1.1',
        containerPrefixRepository: 'mirror',
        containerRepository: 'flat',
      }),
      '10.6.1.1/flat/dao-2048:v1.4.1',
    );
  });

  it('names Docker Hub index.docker.io inside paths, as go-containerregistry does', () => {
    assert.equal(
      retag('nginx:1.25', { kind: 'relok8s', containerPrefixRegistry: '10.6.1.1' }),
      '10.6.1.1/index.docker.io/library/nginx:1.25',
    );
    assert.equal(
      retag('nginx:1.25', { kind: 'relok8s', containerRegistry: '10.6.1.1' }),
      '10.6.1.1/library/nginx:1.25',
    );
  });

  it('keeps tag and digest', () => {
    assert.equal(
      retag(`ghcr.io/a/b:1@${SHA}`, {
        kind: 'relok8s',
        containerRegistry: 'r.io',
        containerRepository: 'x/y',
      }),
      `r.io/x/y/b:1@${SHA}`,
    );
    assert.equal(
      retag(`ghcr.io/a/b@${SHA}`, { kind: 'relok8s', containerRegistry: 'r.io' }),
      `r.io/a/b@${SHA}`,
    );
  });

  it('treats empty strings as unset, like Go', () => {
    assert.equal(
      retag(image, {
        kind: 'relok8s',
        containerRegistry: '10.5.14.40',
        containerRepository: '',
        containerPrefixRegistry: '',
      }),
      '10.5.14.40/daocloud/dao-2048:v1.4.1',
    );
  });

  it('containerRepository gives repository = containerRepository/last segment (property)', () => {
    fc.assert(
      fc.property(imageReference, registry, repository, (ref, newRegistry, newRepository) => {
        const out = applyRetagRule(ref, {
          kind: 'relok8s',
          containerRegistry: newRegistry,
          containerRepository: newRepository,
        });
        const last = ref.repository.split('/').at(-1)!;
        assert.deepEqual(out, { ...ref, registry: newRegistry, repository: `${newRepository}/${last}` });
      }),
      { numRuns: 300 },
    );
  });
});

describe('relok8s rule validation', () => {
  const ref = parseReference('ghcr.io/daocloud/dao-2048:v1.4.1');

  it('refuses a rule that rewrites nothing', () => {
    assertRuleError(() => applyRetagRule(ref, { kind: 'relok8s' }), 'containerRegistry', /no rewrite/);
  });

  it('refuses appendOriginRegistry without containerPrefixRegistry', () => {
    assertRuleError(
      () => applyRetagRule(ref, { kind: 'relok8s', containerRegistry: 'r.io', appendOriginRegistry: true }),
      'appendOriginRegistry',
      /only be true when containerPrefixRegistry is set/,
    );
  });

  it('names the malformed field', () => {
    assertRuleError(
      () => applyRetagRule(ref, { kind: 'relok8s', containerRepository: 'Team/Apps' }),
      'containerRepository',
      /uppercase letters in containerRepository/,
    );
    assertRuleError(
      () => applyRetagRule(ref, { kind: 'relok8s', containerPrefixRepository: 'mirror/' }),
      'containerPrefixRepository',
      /empty path component/,
    );
    assertRuleError(
      () => applyRetagRule(ref, { kind: 'relok8s', containerPrefixRegistry: 'harbor' }),
      'containerPrefixRegistry',
      /not a registry host/,
    );
    assertRuleError(
      () => applyRetagRule(ref, { kind: 'relok8s', containerRegistry: 'r.io:port' }),
      'containerRegistry',
      /invalid registry port/,
    );
  });

  it('re-validates the result: an origin registry with a port cannot go into a path', () => {
    assertRuleError(
      () =>
        applyRetagRule(parseReference('10.16.10.111:5000/kairship/api:v1'), {
          kind: 'relok8s',
          containerPrefixRegistry: '10.6.1.1',
        }),
      'containerPrefixRegistry',
      /"10\.6\.1\.1\/10\.16\.10\.111:5000\/kairship\/api:v1".*invalid path component "10\.16\.10\.111:5000"/,
    );
  });

  it('re-validates the result: a name over 255 characters', () => {
    assertRuleError(
      () => applyRetagRule(ref, { kind: 'relok8s', containerRepository: 'a'.repeat(250) }),
      'containerRepository',
      /longer than 255 characters/,
    );
  });

  it('findRetagRuleProblem returns undefined for a good rule', () => {
    assert.equal(findRetagRuleProblem({ kind: 'relok8s', containerRegistry: '10.16.10.111' }), undefined);
    assert.deepEqual(findRetagRuleProblem({ kind: 'registry', registry: 'x' }), {
      field: 'registry',
      problem:
        '"x" is not a registry host: a registry needs a "." or a ":port", or is "localhost" (otherwise the name would be read as a Docker Hub path)',
    });
  });
});

describe('describeRetagRule', () => {
  it('says what each rule does', () => {
    assert.equal(
      describeRetagRule({ kind: 'registry', registry: '10.5.14.40' }),
      'registry rule (global.imageRegistry=10.5.14.40)',
    );
    assert.equal(
      describeRetagRule({
        kind: 'relok8s',
        containerRegistry: '10.16.10.111',
        containerRepository: 'release.daocloud.io/kairship',
      }),
      'charts-syncer rule (containerRegistry=10.16.10.111, containerRepository=release.daocloud.io/kairship)',
    );
    assert.equal(
      describeRetagRule({
        kind: 'relok8s',
        containerPrefixRegistry: '10.6.1.1',
        containerPrefixRepository: 'mirror',
        appendOriginRegistry: true,
      }),
      'charts-syncer rule (containerPrefixRegistry=10.6.1.1, containerPrefixRepository=mirror, appendOriginRegistry=true)',
    );
    assert.equal(describeRetagRule({ kind: 'relok8s' }), 'charts-syncer rule (no rewrite)');
  });
});
