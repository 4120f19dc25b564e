import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_PIECE_SIZE, buildPieceManifest } from '../../../shared/pieces/index.js';
import { FileByteSource } from '../../../shared/tar/index.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import { mbPerSecond, writeRandomFile } from './piece-fixtures.js';

const SIZE = 256 * 1024 * 1024;

// GNU dd's nocache with count=0 asks the kernel to drop the file's cached pages, so the next read
// comes from the disk. Best effort: where it fails, the "cold" figure is really a warm one.
function dropCache(path: string): boolean {
  return spawnSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none']).status === 0;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: performance.now() - start };
}

describe('buildPieceManifest: throughput (logged, not asserted)', () => {
  const dir = scratchDir('piece-throughput');

  it('hashes a 256 MiB archive in one pass at about the speed of reading it', async (t: TestContext) => {
    const path = join(dir(), 'images.tar');
    const expected = await writeRandomFile(path, SIZE, DEFAULT_PIECE_SIZE);
    const source = await FileByteSource.open(path, 'images.tar');
    try {
      const readAll = async (): Promise<number> => {
        let bytes = 0;
        for await (const chunk of source.stream() as AsyncIterable<Buffer>) bytes += chunk.length;
        return bytes;
      };
      const cold = dropCache(path);
      const rawCold = await timed(readAll);
      dropCache(path);
      const manifestCold = await timed(() => buildPieceManifest(source, DEFAULT_PIECE_SIZE));
      const rawWarm = await timed(readAll);
      const manifestWarm = await timed(() => buildPieceManifest(source, DEFAULT_PIECE_SIZE));

      assert.equal(rawCold.value, SIZE);
      assert.deepEqual(manifestCold.value, expected);
      assert.deepEqual(manifestWarm.value, expected);
      t.diagnostic(
        `256 MiB, 4 MiB pieces${cold ? '' : ' (page cache could not be dropped: "cold" is warm)'}: ` +
          `plain read ${mbPerSecond(SIZE, rawCold.ms)} MB/s cold, ${mbPerSecond(SIZE, rawWarm.ms)} MB/s warm; ` +
          `manifest ${mbPerSecond(SIZE, manifestCold.ms)} MB/s cold, ${mbPerSecond(SIZE, manifestWarm.ms)} MB/s warm`,
      );
    } finally {
      await source.close();
    }
  });
});
