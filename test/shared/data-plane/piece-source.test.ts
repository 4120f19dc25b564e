import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { wholeArchivePieces } from '../../../shared/data-plane/index.js';
import { BufferByteSource, FileByteSource } from '../../../shared/tar/index.js';
import { seededBytes } from '../../helpers/fixtures/index.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

const PIECE = 64 * 1024;
const BYTES = seededBytes('piece-source', 5 * PIECE + 123);
const never = new AbortController().signal;

describe('wholeArchivePieces', () => {
  const dir = scratchDir('piece-source');

  it('reads a file piece by piece into reused buffers: a released buffer carries the next piece', async () => {
    const path = join(dir(), 'images.tar');
    await writeFile(path, BYTES);
    const file = await FileByteSource.open(path);
    try {
      const pieces = wholeArchivePieces(file, PIECE);
      assert.equal(pieces.pieceCount, 6);
      const first = await pieces.piece(0, never);
      assert.deepEqual(first, BYTES.subarray(0, PIECE));
      // Not released yet: the next piece must not overwrite it.
      const second = await pieces.piece(1, never);
      assert.notEqual(second.buffer, first.buffer);
      assert.deepEqual(first, BYTES.subarray(0, PIECE), 'an unreleased piece keeps its bytes');
      pieces.release?.(first);
      const last = await pieces.piece(5, never);
      assert.equal(last.buffer, first.buffer, 'the released buffer was reused');
      assert.deepEqual(last, BYTES.subarray(5 * PIECE), 'the short last piece');
      assert.deepEqual(second, BYTES.subarray(PIECE, 2 * PIECE));
      // Releasing twice, or a buffer that is not the source's, changes nothing.
      pieces.release?.(last);
      pieces.release?.(last);
      pieces.release?.(Buffer.alloc(PIECE));
      const again = [await pieces.piece(2, never), await pieces.piece(3, never)];
      assert.notEqual(again[0]?.buffer, again[1]?.buffer, 'one release, one reuse');
      assert.deepEqual(Buffer.concat(again), BYTES.subarray(2 * PIECE, 4 * PIECE));
    } finally {
      await file.close();
    }
  });

  it('hands out views of a source in memory, without copying', async () => {
    const pieces = wholeArchivePieces(new BufferByteSource(BYTES, 'mem'), PIECE);
    const piece = await pieces.piece(1, never);
    assert.equal(piece.buffer, BYTES.buffer);
    assert.deepEqual(piece, BYTES.subarray(PIECE, 2 * PIECE));
  });
});
