import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HotPieces } from '../../../agent/pieces/hot-pieces.js';

const PIECE = 1024;
const filled = (buffer: Buffer, value: number): Buffer => buffer.fill(value);

describe('HotPieces', () => {
  it('reuses the buffer of a piece that left the set, and only then', () => {
    const hot = new HotPieces(PIECE, 2 * PIECE);
    const first = filled(hot.allocate(PIECE), 1);
    hot.keep(0, first);
    hot.keep(1, filled(hot.allocate(PIECE), 2));
    assert.notEqual(hot.allocate(PIECE).buffer, first.buffer, 'a held piece is never handed out');
    hot.keep(2, filled(hot.allocate(PIECE), 3));
    hot.evict(() => true);
    assert.equal(hot.total, 2 * PIECE);
    assert.equal(hot.peek(0), undefined, 'the oldest piece left');
    assert.equal(hot.allocate(100).buffer, first.buffer, 'its buffer carries the next piece');
  });

  it("keeps a lent piece's bytes until every loan came back, even after it left the set", () => {
    const hot = new HotPieces(PIECE, PIECE);
    const bytes = filled(hot.allocate(PIECE), 7);
    hot.keep(0, bytes);
    const loans = [hot.lend(0), hot.lend(0)];
    hot.keep(1, filled(hot.allocate(PIECE), 8));
    hot.evict(() => true);
    assert.equal(hot.peek(0), undefined);
    assert.notEqual(hot.allocate(PIECE).buffer, bytes.buffer, 'two loans out');
    hot.release(bytes);
    assert.notEqual(hot.allocate(PIECE).buffer, bytes.buffer, 'one loan out');
    hot.release(bytes);
    hot.release(bytes); // one release too many changes nothing
    assert.equal(hot.allocate(PIECE).buffer, bytes.buffer, 'back once the last loan came back');
    assert.deepEqual(loans[0], Buffer.alloc(PIECE, 7), "the loan saw the piece's bytes");
  });

  it('lends a borrowed buffer (a piece read back from disk) until it is given back', () => {
    const hot = new HotPieces(PIECE, PIECE);
    const borrowed = hot.borrow(100);
    assert.equal(borrowed.length, 100);
    assert.notEqual(hot.allocate(PIECE).buffer, borrowed.buffer, 'out on loan');
    hot.release(borrowed);
    assert.equal(hot.allocate(PIECE).buffer, borrowed.buffer, 'back in the pool');
  });

  it('does not drop a piece the store still needs (not yet durable)', () => {
    const hot = new HotPieces(PIECE, PIECE);
    hot.keep(0, hot.allocate(PIECE));
    hot.keep(1, hot.allocate(PIECE));
    hot.evict((index) => index !== 0);
    assert.notEqual(hot.peek(0), undefined);
    assert.equal(hot.peek(1), undefined);
  });

  it('takes back a buffer that was never kept, and never pools one it did not make', () => {
    const hot = new HotPieces(PIECE, PIECE);
    const rejected = hot.allocate(PIECE);
    hot.discard(rejected);
    assert.equal(hot.allocate(PIECE).buffer, rejected.buffer);
    const foreign = Buffer.alloc(PIECE);
    hot.keep(0, foreign);
    hot.keep(1, hot.allocate(PIECE));
    hot.evict(() => true);
    assert.notEqual(hot.allocate(PIECE).buffer, foreign.buffer, "another's buffer is not reused");
  });

  it('hands out a fresh buffer for more than a piece, and holds at most a few free ones', () => {
    const hot = new HotPieces(PIECE, PIECE);
    assert.equal(hot.allocate(2 * PIECE).length, 2 * PIECE);
    const made = Array.from({ length: 10 }, () => hot.allocate(PIECE));
    for (const buffer of made) hot.discard(buffer);
    const again = new Set(Array.from({ length: 10 }, () => hot.allocate(PIECE).buffer));
    const reused = made.filter((buffer) => again.has(buffer.buffer)).length;
    assert.equal(reused, 5, "the set's one piece plus four");
  });
});
