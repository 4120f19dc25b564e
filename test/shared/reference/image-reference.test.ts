import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, InvalidReferenceError, hasErrorCode } from '../../../shared/errors/index.js';
import {
  type ImageReference,
  formatName,
  formatReference,
  parseReference,
} from '../../../shared/reference/index.js';
import { imageReference, referenceString } from './reference-arbitraries.js';

const SHA = 'sha256:' + 'a'.repeat(64);

describe('parseReference: valid references', () => {
  const table: [string, ImageReference][] = [
    // Docker Hub normalisation.
    ['nginx', { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }],
    ['nginx:1.25', { registry: 'docker.io', repository: 'library/nginx', tag: '1.25' }],
    ['user/x', { registry: 'docker.io', repository: 'user/x', tag: 'latest' }],
    ['docker.io/nginx', { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }],
    ['index.docker.io/user/x:1', { registry: 'docker.io', repository: 'user/x', tag: '1' }],
    ['index.docker.io/nginx', { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }],
    // Registries: dots, ports, localhost, IPv6.
    [
      'ghcr.io/daocloud/dao-2048:v1.4.1',
      { registry: 'ghcr.io', repository: 'daocloud/dao-2048', tag: 'v1.4.1' },
    ],
    [
      '10.16.10.111:5000/kairship/kairship-apiserver:v0.21.0',
      { registry: '10.16.10.111:5000', repository: 'kairship/kairship-apiserver', tag: 'v0.21.0' },
    ],
    ['localhost/app', { registry: 'localhost', repository: 'app', tag: 'latest' }],
    ['localhost:5000/app:1', { registry: 'localhost:5000', repository: 'app', tag: '1' }],
    ['[::1]:5000/app:1', { registry: '[::1]:5000', repository: 'app', tag: '1' }],
    ['[fe80::1]/team/app', { registry: '[fe80::1]', repository: 'team/app', tag: 'latest' }],
    ['Registry.Example.COM/app', { registry: 'Registry.Example.COM', repository: 'app', tag: 'latest' }],
    // A first component without '.', ':' or localhost is a Docker Hub path.
    ['myregistry/app', { registry: 'docker.io', repository: 'myregistry/app', tag: 'latest' }],
    // 'localhost:5000' alone is docker.io/library/localhost with tag 5000, as docker reads it.
    ['localhost:5000', { registry: 'docker.io', repository: 'library/localhost', tag: '5000' }],
    // Nested repositories and separators.
    ['r.io/a/b/c/d:t', { registry: 'r.io', repository: 'a/b/c/d', tag: 't' }],
    [
      'r.io/a_b/c__d/e-f/g.h/i---j',
      { registry: 'r.io', repository: 'a_b/c__d/e-f/g.h/i---j', tag: 'latest' },
    ],
    [
      '10.16.10.111/release.daocloud.io/kairship/kairship-apiserver:v0.21.0',
      {
        registry: '10.16.10.111',
        repository: 'release.daocloud.io/kairship/kairship-apiserver',
        tag: 'v0.21.0',
      },
    ],
    // Tags.
    ['r.io/app:V1_2.3-rc', { registry: 'r.io', repository: 'app', tag: 'V1_2.3-rc' }],
    ['r.io/app:_x', { registry: 'r.io', repository: 'app', tag: '_x' }],
    [`r.io/app:${'t'.repeat(128)}`, { registry: 'r.io', repository: 'app', tag: 't'.repeat(128) }],
    // Digests: no tag is invented, and a tag given with a digest is kept.
    [`r.io/app@${SHA}`, { registry: 'r.io', repository: 'app', digest: SHA }],
    [`r.io/app:1.0@${SHA}`, { registry: 'r.io', repository: 'app', tag: '1.0', digest: SHA }],
    [`nginx@${SHA}`, { registry: 'docker.io', repository: 'library/nginx', digest: SHA }],
    [
      `r.io/app@sha512:${'b'.repeat(128)}`,
      { registry: 'r.io', repository: 'app', digest: `sha512:${'b'.repeat(128)}` },
    ],
    // An algorithm go-digest does not know, allowed by the grammar.
    [
      `r.io/app@blake3:${'C'.repeat(32)}`,
      { registry: 'r.io', repository: 'app', digest: `blake3:${'C'.repeat(32)}` },
    ],
  ];
  for (const [input, expected] of table) {
    it(`parses ${input.length > 70 ? input.slice(0, 70) + '…' : input}`, () => {
      assert.deepEqual(parseReference(input), expected);
    });
  }

  it('accepts a name of exactly 255 characters', () => {
    const repository = 'a'.repeat(255 - 'r.io/'.length);
    assert.equal(parseReference(`r.io/${repository}`).repository, repository);
  });
});

describe('parseReference: invalid references', () => {
  const table: [string, RegExp][] = [
    ['', /empty reference/],
    ['r.io/app name', /whitespace/],
    ['a'.repeat(64), /image ID/],
    ['r.io/MyApp:1', /uppercase letters in repository/],
    ['Nginx', /uppercase letters in repository/],
    ['MyRegistry/app', /uppercase letters in repository/],
    [`r.io/app:${'t'.repeat(129)}`, /tag longer than 128 characters/],
    ['r.io/app:', /empty tag/],
    ['r.io/app:-x', /invalid tag/],
    ['r.io/app:.x', /invalid tag/],
    ['r.io/app:a+b', /invalid tag/],
    ['r.io/app@', /empty digest/],
    ['r.io/app@sha256:abc', /sha256 needs 64 hex digits, got 3/],
    [`r.io/app@sha256:${'A'.repeat(64)}`, /lowercase/],
    [`r.io/app@sha256:${'g'.repeat(64)}`, /invalid digest/],
    [`r.io/app@${SHA}@${SHA}`, /invalid digest/],
    ['r.io/app@md5', /invalid digest/],
    ['r.io//app', /empty path component/],
    ['r.io/app/', /empty path component/],
    ['r.io/', /empty repository/],
    ['/app', /empty path component/],
    ['r.io/-app', /invalid path component "-app"/],
    ['r.io/app_', /invalid path component "app_"/],
    ['r.io/a___b', /invalid path component/],
    ['r.io/a..b', /invalid path component/],
    ['r-.io/app', /invalid registry host "r-.io"/],
    ['r..io/app', /invalid registry host/],
    ['r.io:/app', /invalid registry port/],
    ['r.io:50a/app', /invalid registry port/],
    [':5000/app', /no host name/],
    ['[::1/app', /missing "]"/],
    ['[zz::1]/app', /invalid IPv6 registry host/],
    ['[::1]x/app', /invalid registry host/],
    [':tag', /no repository name/],
    [`r.io/${'a'.repeat(251)}`, /longer than 255 characters/],
  ];
  for (const [input, message] of table) {
    it(`rejects ${JSON.stringify(input.length > 50 ? input.slice(0, 50) + '…' : input)}`, () => {
      assert.throws(
        () => parseReference(input),
        (err: unknown) => {
          assert.ok(err instanceof InvalidReferenceError);
          assert.ok(hasErrorCode(err, ErrorCode.InvalidReference));
          assert.match(err.message, message);
          assert.equal(err.context.reference, input);
          return true;
        },
      );
    });
  }
});

describe('formatReference', () => {
  it('writes the full form', () => {
    assert.equal(
      formatReference({ registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }),
      'docker.io/library/nginx:latest',
    );
    assert.equal(
      formatReference({ registry: 'r.io:5000', repository: 'a/b', tag: '1', digest: SHA }),
      `r.io:5000/a/b:1@${SHA}`,
    );
    assert.equal(formatReference({ registry: 'r.io', repository: 'a', digest: SHA }), `r.io/a@${SHA}`);
    assert.equal(formatName({ registry: 'r.io', repository: 'a/b' }), 'r.io/a/b');
  });

  it('normalises short forms to full references', () => {
    assert.equal(formatReference(parseReference('nginx')), 'docker.io/library/nginx:latest');
    assert.equal(formatReference(parseReference('index.docker.io/user/x')), 'docker.io/user/x:latest');
  });
});

describe('properties', () => {
  it('format(parse(x)) is x for full references with a tag or digest', () => {
    fc.assert(
      fc.property(referenceString, (input) => {
        assert.equal(formatReference(parseReference(input)), input);
      }),
      { numRuns: 500 },
    );
  });

  it('parse(format(r)) is r for parsed references', () => {
    fc.assert(
      fc.property(imageReference, (ref) => {
        assert.deepEqual(parseReference(formatReference(ref)), ref);
      }),
      { numRuns: 500 },
    );
  });

  it('reads short forms as Docker Hub unless the first component names a registry, idempotently', () => {
    const shortForm = fc.tuple(
      fc.array(fc.stringMatching(/^[a-z0-9]{1,6}(?:[._-][a-z0-9]{1,4})?$/), { minLength: 1, maxLength: 3 }),
      fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}$/), { nil: undefined }),
    );
    fc.assert(
      fc.property(shortForm, ([path, tag]) => {
        const input = `${path.join('/')}${tag === undefined ? '' : `:${tag}`}`;
        const ref = parseReference(input);
        const first = path[0]!;
        const hasRegistry = path.length > 1 && first.includes('.');
        assert.equal(ref.registry, hasRegistry ? first : 'docker.io');
        assert.equal(ref.tag, tag ?? 'latest');
        if (!hasRegistry) {
          assert.equal(ref.repository, path.length === 1 ? `library/${first}` : path.join('/'));
        }
        const once = formatReference(ref);
        assert.equal(formatReference(parseReference(once)), once);
      }),
      { numRuns: 300 },
    );
  });
});
