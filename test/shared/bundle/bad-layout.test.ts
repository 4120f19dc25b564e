import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Bundle } from '../../../shared/bundle/index.js';
import {
  BundleMalformedError,
  BundleMissingEntryError,
  BundleNotFoundError,
  BundleUnsafeEntryError,
  ErrorCode,
} from '../../../shared/errors/index.js';
import { bundleBuffer, type BundleSpec, type TarMember } from '../../helpers/fixtures/index.js';
import { expectAirliftRejection } from '../../helpers/airlift-error-assertions.js';
import { expectOpenFailure, sampleIn } from '../../helpers/bundle-open-assertions.js';
import { END_OF_ARCHIVE, memberBytes, withoutEndMarker } from '../../helpers/tar-blocks.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

describe('Bundle.open: required entries', () => {
  const dir = scratchDir('missing');
  const cases: [string, string][] = [
    ['hints.yaml', 'hints.yaml'],
    ['original-chart/Chart.yaml', 'Chart.yaml'],
    ['original-chart/values.yaml', 'values.yaml'],
    ['images.tar', 'images.tar'],
  ];
  for (const [entry, label] of cases) {
    it(`refuses a bundle without ${entry}`, async () => {
      const sample = await sampleIn(dir(), label, { mutate: (spec) => ({ ...spec, omit: [entry] }) });
      const err = await expectOpenFailure(
        sample.path,
        BundleMissingEntryError,
        ErrorCode.BundleMissingEntry,
        [sample.path, `has no entry ${entry}`],
      );
      assert.equal(err.context.entry, entry);
    });
  }

  it('refuses a file that does not exist', async () => {
    const path = join(dir(), 'absent_1.0.0.bundle.tar');
    await expectAirliftRejection(Bundle.open(path), BundleNotFoundError, ErrorCode.BundleNotFound, [
      path,
      'cannot be opened',
    ]);
  });

  it('refuses a directory given as the bundle with BundleNotFoundError', async () => {
    await expectAirliftRejection(Bundle.open(dir()), BundleNotFoundError, ErrorCode.BundleNotFound, [dir()]);
  });
});

describe('Bundle.open: unsafe members', () => {
  const dir = scratchDir('unsafe');
  const cases: [string, TarMember, string][] = [
    ['a "../" path', { name: '../evil', data: Buffer.from('x') }, 'path traversal'],
    [
      'a path escaping original-chart/',
      { name: 'original-chart/../../x', data: Buffer.from('x') },
      'path traversal',
    ],
    [
      'an absolute path',
      { name: '/etc/passwd', data: Buffer.from('root::0:0::/:/bin/sh\n') },
      'absolute path',
    ],
    [
      'a symlink',
      { name: 'original-chart/templates/link.yaml', type: 'symlink', linkname: '/etc/shadow' },
      'symlink to "/etc/shadow"',
    ],
    [
      'a hardlink',
      { name: 'original-chart/hard.yaml', type: 'link', linkname: 'hints.yaml' },
      'hardlink to "hints.yaml"',
    ],
    ['a backslash path', { name: 'original-chart\\..\\x', data: Buffer.from('x') }, 'backslash'],
  ];
  for (const [what, member, problem] of cases) {
    it(`refuses ${what}`, async () => {
      const sample = await sampleIn(dir(), what.replace(/\W+/g, '-'), {
        mutate: (spec) => ({ ...spec, extraMembers: [member] }),
      });
      const err = await expectOpenFailure(sample.path, BundleUnsafeEntryError, ErrorCode.BundleUnsafeEntry, [
        sample.path,
        JSON.stringify(member.name),
        problem,
        'refusing the bundle',
      ]);
      assert.equal(err.context.entry, member.name);
    });
  }

  it('refuses an unsafe member in the middle of the chart tree, not only at the end', async () => {
    const sample = await sampleIn(dir(), 'middle', {
      mutate: (spec) => ({ ...spec, chartFiles: { ...spec.chartFiles, '../../x': 'escape' } }),
    });
    await expectOpenFailure(sample.path, BundleUnsafeEntryError, ErrorCode.BundleUnsafeEntry, [
      '"original-chart/..',
      'path traversal',
    ]);
  });

  it('refuses a device file', async () => {
    const sample = await sampleIn(dir(), 'device');
    const good = await bundleBuffer(sample.spec);
    const path = join(dir(), 'device', 'device_1.0.0.bundle.tar');
    await writeFile(
      path,
      Buffer.concat([
        withoutEndMarker(good),
        memberBytes({ name: 'original-chart/tty', typeflag: '3' }),
        END_OF_ARCHIVE,
      ]),
    );
    await expectOpenFailure(path, BundleUnsafeEntryError, ErrorCode.BundleUnsafeEntry, [
      '"original-chart/tty"',
      'special file (tar type "3")',
    ]);
  });
});

describe('Bundle.open: members that appear twice', () => {
  const dir = scratchDir('twice');
  const cases: [string, (spec: BundleSpec) => readonly TarMember[]][] = [
    ['hints.yaml', () => [{ name: 'hints.yaml', data: Buffer.from('[]') }]],
    ['original-chart/values.yaml', () => [{ name: 'original-chart/values.yaml', data: Buffer.from('a: 1') }]],
    ['images.tar', (spec) => [{ name: './images.tar', data: spec.imagesTar }]],
  ];
  for (const [entry, extra] of cases) {
    it(`refuses ${entry} twice (the second copy could be what a later reader sees)`, async () => {
      const sample = await sampleIn(dir(), entry.replace(/\W+/g, '-'), {
        mutate: (spec) => ({ ...spec, extraMembers: extra(spec) }),
      });
      const err = await expectOpenFailure(sample.path, BundleMalformedError, ErrorCode.BundleMalformed, [
        sample.path,
        entry,
        'appears twice',
      ]);
      assert.equal(err.context.entry, entry);
    });
  }
});
