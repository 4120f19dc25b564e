import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkEntryPath } from '../../../shared/tar/index.js';

describe('checkEntryPath: safe names are normalised', () => {
  const table: [string, string][] = [
    ['hints.yaml', 'hints.yaml'],
    ['original-chart/Chart.yaml', 'original-chart/Chart.yaml'],
    ['./hints.yaml', 'hints.yaml'],
    ['././original-chart/values.yaml', 'original-chart/values.yaml'],
    ['original-chart/', 'original-chart'],
    ['original-chart/templates//', 'original-chart/templates'],
    ['a//b', 'a/b'],
    ['a/./b', 'a/b'],
    ['blobs/sha256/' + 'a'.repeat(64), 'blobs/sha256/' + 'a'.repeat(64)],
    ['sha256:' + 'b'.repeat(64), 'sha256:' + 'b'.repeat(64)],
    ['.helmignore', '.helmignore'],
    ['..hidden', '..hidden'],
    ['dir/..x', 'dir/..x'],
    ['dir/x..', 'dir/x..'],
    ['...', '...'],
    ['charts/数据.yaml', 'charts/数据.yaml'],
  ];
  for (const [name, path] of table) {
    it(`${JSON.stringify(name)} → ${JSON.stringify(path)}`, () => {
      assert.deepEqual(checkEntryPath(name), { path });
    });
  }
});

describe('checkEntryPath: unsafe names are refused with the reason', () => {
  const table: [string, RegExp][] = [
    ['', /empty/],
    ['a\0b', /NUL/],
    ['/etc/passwd', /absolute/],
    ['//etc/passwd', /absolute/],
    ['/', /absolute/],
    ['../evil', /traversal/],
    ['..', /traversal/],
    ['original-chart/../../x', /traversal/],
    ['original-chart/..', /traversal/],
    ['a/../b', /traversal/],
    ['./../x', /traversal/],
    ['a\\..\\b', /backslash/],
    ['original-chart\\Chart.yaml', /backslash/],
    ['C:/Windows/x', /drive letter/],
    ['./c:/x', /drive letter/],
    ['c:\\x', /drive letter|backslash/],
    ['.', /root/],
    ['./', /root/],
    ['././', /root/],
    ['.//', /root/],
  ];
  for (const [name, problem] of table) {
    it(`${JSON.stringify(name)} is refused (${problem.source})`, () => {
      const result = checkEntryPath(name);
      assert.ok('problem' in result, `${JSON.stringify(name)} was accepted as ${JSON.stringify(result)}`);
      assert.match(result.problem, problem);
    });
  }
});

describe('checkEntryPath: property', () => {
  // Names built from the characters that matter to path handling, so odd mixes come up often.
  const nameArb = fc
    .array(fc.constantFrom('a', 'b', '.', '/', '\\', ':', 'C', '\0', ' ', '-'), { maxLength: 14 })
    .map((chars) => chars.join(''));

  it('an accepted name is relative, has no ".", ".." or empty segment, and keeps its segments in order', () => {
    fc.assert(
      fc.property(nameArb, (name) => {
        const result = checkEntryPath(name);
        if (!('path' in result)) return;
        const segments = result.path.split('/');
        assert.ok(!result.path.startsWith('/'), result.path);
        for (const segment of segments)
          assert.ok(segment !== '' && segment !== '.' && segment !== '..', result.path);
        assert.ok(!result.path.includes('\\') && !result.path.includes('\0'), result.path);
        // Normalising only drops "." and empty segments: what remains is the name's real segments.
        assert.deepEqual(
          segments,
          name.split('/').filter((s) => s !== '' && s !== '.'),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('normalising is idempotent', () => {
    fc.assert(
      fc.property(nameArb, (name) => {
        const result = checkEntryPath(name);
        if ('path' in result) assert.deepEqual(checkEntryPath(result.path), result);
      }),
      { numRuns: 1000 },
    );
  });
});
