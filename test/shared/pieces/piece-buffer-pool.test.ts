import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PieceBufferPool } from '../../../shared/pieces/index.js';

describe('PieceBufferPool', () => {
  it('hands a given-back buffer out again, cut to the length asked', () => {
    const pool = new PieceBufferPool(1024, 2);
    const first = pool.take(1024);
    pool.give(first);
    const again = pool.take(10);
    assert.equal(again.buffer, first.buffer);
    assert.equal(again.length, 10);
  });

  it('never hands one buffer out twice, even when it is given back twice', () => {
    const pool = new PieceBufferPool(1024, 4);
    const bytes = pool.take(100);
    pool.give(bytes);
    pool.give(bytes);
    const a = pool.take(100);
    const b = pool.take(100);
    assert.notEqual(a.buffer, b.buffer);
  });

  it('ignores bytes it did not hand out, and keeps at most maxFree idle buffers', () => {
    const pool = new PieceBufferPool(1024, 1);
    const foreign = Buffer.alloc(1024);
    pool.give(foreign);
    assert.notEqual(pool.take(1024).buffer, foreign.buffer);
    const [x, y] = [pool.take(1024), pool.take(1024)];
    pool.give(x);
    pool.give(y);
    const reused = [pool.take(1024), pool.take(1024)].filter(
      (b) => b.buffer === x.buffer || b.buffer === y.buffer,
    );
    assert.equal(reused.length, 1);
  });
});
