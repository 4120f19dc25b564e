import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FileByteSource, indexTar } from '../../../shared/tar/index.js';
import { seededBytes } from '../../helpers/fixtures/index.js';
import { GNU_TAR, runTar } from '../../helpers/gnu-tar.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

// Operators rebuild bundles with GNU tar: its three formats must index the same way.
const FILES: Record<string, Buffer> = {
  'hints.yaml': Buffer.from('- "{{ .image }}"\n'),
  [`original-chart/templates/${'deployment-with-a-very-long-name-'.repeat(4)}.yaml`]:
    Buffer.from('kind: Deployment\n'),
  [`original-chart/${'nested/'.repeat(20)}deep.yaml`]: Buffer.from('deep: true\n'),
  'original-chart/数据.yaml': Buffer.from('ü: 1\n'),
  'images.tar': seededBytes('gnu-images', 70_000),
};

describe(
  'indexTar: archives written by GNU tar',
  { skip: GNU_TAR === undefined ? 'GNU tar not installed' : false },
  () => {
    const dir = scratchDir('gnu-tar');

    for (const format of ['gnu', 'posix', 'ustar'] as const) {
      it(`--format=${format}: every file with its bytes`, async (t) => {
        const tree = join(dir(), `tree-${format}`);
        for (const [name, data] of Object.entries(FILES)) {
          await mkdir(dirname(join(tree, name)), { recursive: true });
          await writeFile(join(tree, name), data);
        }
        // ustar cannot store a name component over 100 bytes; leave that file out there.
        const names = Object.keys(FILES).filter((n) => format !== 'ustar' || !n.includes('deployment-with'));
        const archive = join(dir(), `${format}.tar`);
        await runTar([`--format=${format}`, '-C', tree, '-cf', archive, ...names]);
        const source = await FileByteSource.open(archive);
        t.after(() => source.close());
        const entries = await indexTar(source);
        const files = entries.filter((e) => e.type === 'file');
        assert.deepEqual(
          files.map((e) => e.name),
          names,
        );
        const bytes = await readFile(archive);
        for (const entry of files) {
          assert.deepEqual(
            bytes.subarray(entry.dataOffset, entry.dataOffset + entry.size),
            FILES[entry.name],
            entry.name,
          );
        }
      });
    }

    it('an incremental (-G) archive: names are not mixed with the atime/ctime fields', async (t) => {
      const tree = join(dir(), 'tree-incremental');
      await mkdir(join(tree, 'original-chart'), { recursive: true });
      await writeFile(join(tree, 'original-chart', 'values.yaml'), 'a: 1\n');
      const archive = join(dir(), 'incremental.tar');
      await runTar(['--format=gnu', '-G', '-C', tree, '-cf', archive, 'original-chart']);
      const source = await FileByteSource.open(archive);
      t.after(() => source.close());
      const entries = await indexTar(source);
      assert.deepEqual(
        entries.map((e) => [e.name, e.type]),
        [
          ['original-chart/', 'other'], // GNU dumpdir record ('D')
          ['original-chart/values.yaml', 'file'],
        ],
      );
    });
  },
);
