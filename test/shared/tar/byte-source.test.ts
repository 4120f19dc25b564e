import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BufferByteSource, FileByteSource, type ByteSource } from '../../../shared/tar/index.js';
import { seededBytes } from '../../helpers/fixtures/index.js';
import { collectBytes } from '../../helpers/byte-streams.js';
import { openFdCount } from '../../helpers/fs-snapshot.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

const BYTES = seededBytes('byte-source', 3 * 1024 * 1024 + 17);

async function checkSource(source: ByteSource): Promise<void> {
  assert.equal(source.size, BYTES.length);
  assert.deepEqual(await source.read(100, 50), BYTES.subarray(100, 150));
  // Short only at the end; empty past it.
  assert.deepEqual(await source.read(BYTES.length - 10, 512), BYTES.subarray(BYTES.length - 10));
  assert.equal((await source.read(BYTES.length, 512)).length, 0);
  assert.deepEqual(await collectBytes(source.stream()), BYTES);
  assert.deepEqual(await collectBytes(source.stream(5, 2_000_000)), BYTES.subarray(5, 2_000_005));
  assert.equal((await collectBytes(source.stream(10, 0))).length, 0);

  const slice = source.slice(1000, 5000, 'outer!inner');
  assert.equal(slice.label, 'outer!inner');
  assert.equal(slice.size, 5000);
  assert.deepEqual(await slice.read(0, 10), BYTES.subarray(1000, 1010));
  // Reads and streams stay inside the slice even when asked for more.
  assert.deepEqual(await slice.read(4990, 100), BYTES.subarray(5990, 6000));
  assert.deepEqual(await collectBytes(slice.stream()), BYTES.subarray(1000, 6000));
  assert.deepEqual(await collectBytes(slice.stream(4000, 9999)), BYTES.subarray(5000, 6000));
  const nested = slice.slice(100, 200, 'nested');
  assert.deepEqual(await nested.read(0, 1000), BYTES.subarray(1100, 1300));
  assert.deepEqual(await collectBytes(nested.stream()), BYTES.subarray(1100, 1300));
}

describe('ByteSource', () => {
  const dir = scratchDir('byte-source');

  it('BufferByteSource reads, streams and slices', async () => {
    await checkSource(new BufferByteSource(BYTES, 'mem'));
  });

  it('FileByteSource reads, streams and slices the same way, and close() releases the descriptor', async () => {
    const path = join(dir(), 'data.bin');
    await writeFile(path, BYTES);
    const before = openFdCount();
    const source = await FileByteSource.open(path, 'data.bin');
    assert.equal(source.label, 'data.bin');
    assert.equal(openFdCount(), before + 1);
    await checkSource(source);
    await source.close();
    await source.close();
    assert.equal(openFdCount(), before);
  });

  it("FileByteSource.readInto fills the caller's buffer from its start, and a slice reads into it too", async () => {
    const path = join(dir(), 'into.bin');
    await writeFile(path, BYTES);
    const source = await FileByteSource.open(path);
    try {
      const target = Buffer.alloc(4096, 0xee);
      const read = await source.readInto(target, 10, 100);
      assert.equal(read.buffer, target.buffer, "the bytes are in the caller's buffer");
      assert.deepEqual(read, BYTES.subarray(10, 110));
      assert.equal(target[100], 0xee, 'nothing past what was asked');
      const tail = await source.readInto(target, BYTES.length - 5, 4096);
      assert.deepEqual(tail, BYTES.subarray(BYTES.length - 5), 'short only at the end');
      const slice = source.slice(2000, 3000, 'slice');
      assert.deepEqual(await slice.readInto?.(target, 2990, 100), BYTES.subarray(4990, 5000));
    } finally {
      await source.close();
    }
  });

  it('FileByteSource.open passes the fs error on for a missing file', async () => {
    await assert.rejects(FileByteSource.open(join(dir(), 'absent')), { code: 'ENOENT' });
  });
});
