import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_PIECE_SIZE, MIN_PIECE_SIZE, pieceCount, pieceRange } from '../../../shared/pieces/index.js';

const FAKE_SHA = `sha256:${'0'.repeat(64)}`;
const pieceSize = fc
  .integer({ min: Math.log2(MIN_PIECE_SIZE), max: Math.log2(MAX_PIECE_SIZE) })
  .map((e) => 2 ** e);

describe('pieceRange: property', () => {
  it('the ranges of all pieces cover [0, size) exactly once, in order', () => {
    // Sizes drawn as (pieces, tail) so every run walks a bounded number of ranges whatever the piece size.
    const geometry = fc
      .record({
        pieceSize,
        full: fc.integer({ min: 0, max: 2000 }),
        tail: fc.double({ min: 0, max: 1, noNaN: true }),
      })
      .map(({ pieceSize: p, full, tail }) => ({
        pieceSize: p,
        size: full * p + Math.max(1, Math.floor(tail * p)),
      }))
      .chain((g) =>
        fc.oneof(fc.constant(g), fc.constant({ ...g, size: Math.ceil(g.size / g.pieceSize) * g.pieceSize })),
      );
    fc.assert(
      fc.property(geometry, ({ pieceSize: p, size }) => {
        const manifest = { pieceSize: p, size, sha256: FAKE_SHA };
        const count = pieceCount(size, p);
        let next = 0;
        for (let i = 0; i < count; i++) {
          const { offset, length } = pieceRange(manifest, i);
          assert.equal(offset, next, `piece ${i} starts where piece ${i - 1} ended`);
          assert.ok(length > 0 && length <= p);
          if (i < count - 1) assert.equal(length, p, 'only the last piece may be short');
          next = offset + length;
        }
        assert.equal(next, size);
        assert.throws(() => pieceRange(manifest, count));
        assert.throws(() => pieceRange(manifest, -1));
      }),
      { numRuns: 300 },
    );
  });

  it('stays exact for archives far beyond memory (up to 2^50 bytes)', () => {
    fc.assert(
      fc.property(pieceSize, fc.integer({ min: 1, max: 2 ** 50 }), (p, size) => {
        const manifest = { pieceSize: p, size, sha256: FAKE_SHA };
        const count = pieceCount(size, p);
        const last = pieceRange(manifest, count - 1);
        assert.equal(last.offset + last.length, size);
        assert.equal(last.offset, (count - 1) * p);
        assert.ok(last.length >= 1 && last.length <= p);
        if (count > 1)
          assert.deepEqual(pieceRange(manifest, count - 2), { offset: (count - 2) * p, length: p });
      }),
      { numRuns: 500 },
    );
  });
});
