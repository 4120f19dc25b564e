import fc from 'fast-check';
import type { ImageReference } from '../../../shared/reference/index.js';

// Generators for canonical references: registries always recognisable as such, never Docker Hub (whose
// one-component names gain `library/`), names well under the 255-character limit.

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,6}[a-z0-9])?$/);

/** A registry host with an optional port: DNS name with a dot, IPv4, localhost or bracketed IPv6. */
export const registry: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      fc
        .array(label, { minLength: 2, maxLength: 4 })
        .map((labels) => labels.join('.'))
        .filter((host) => host !== 'docker.io' && host !== 'index.docker.io'),
      fc.ipV4(),
      fc.constant('localhost'),
      fc.constantFrom('[::1]', '[fe80::1]', '[2001:db8::42]'),
    ),
    fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  )
  .map(([host, port]) => (port === undefined ? host : `${host}:${port}`));

export const pathComponent: fc.Arbitrary<string> = fc.stringMatching(
  /^[a-z0-9]{1,8}(?:(?:[._]|__|-{1,2})[a-z0-9]{1,8}){0,2}$/,
);

export const repository: fc.Arbitrary<string> = fc
  .array(pathComponent, { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join('/'));

export const tag: fc.Arbitrary<string> = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}$/);

export const digest: fc.Arbitrary<string> = fc.stringMatching(/^[a-f0-9]{64}$/).map((hex) => `sha256:${hex}`);

/** A reference as parseReference returns it: a tag, a digest or both. */
export const imageReference: fc.Arbitrary<ImageReference> = fc
  .tuple(registry, repository, fc.option(tag, { nil: undefined }), fc.option(digest, { nil: undefined }))
  .map(([reg, repo, t, d]) => ({
    registry: reg,
    repository: repo,
    ...(t === undefined && d === undefined ? { tag: 'latest' } : {}),
    ...(t === undefined ? {} : { tag: t }),
    ...(d === undefined ? {} : { digest: d }),
  }));

/** The full string form of imageReference. */
export const referenceString: fc.Arbitrary<string> = imageReference.map(
  (ref) =>
    `${ref.registry}/${ref.repository}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`,
);
