import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ErrorCode,
  PieceCorruptError,
  PieceIndexError,
  PieceMissingError,
  PieceStoreClosedError,
} from '../../../shared/errors/index.js';
import { archiveIdOf, pieceRange } from '../../../shared/pieces/index.js';
import { PieceStore, STREAM_CHUNK_BYTES } from '../../../agent/pieces/index.js';
import { seededBytes } from '../../helpers/fixtures/index.js';
import { collectBytes } from '../../helpers/byte-streams.js';
import { expectAirliftRejection, rejectionOf } from '../../helpers/airlift-error-assertions.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import { independentManifest, pieceOf, shuffled, SMALL_PIECE } from '../../shared/pieces/piece-fixtures.js';

const BYTES = seededBytes('piece-store', 9 * SMALL_PIECE + 777);
const MANIFEST = independentManifest(BYTES, SMALL_PIECE);
const COUNT = MANIFEST.pieces.length;
const piece = (i: number): Buffer => pieceOf(BYTES, SMALL_PIECE, i);

describe('PieceStore', () => {
  const root = scratchDir('piece-store');
  let n = 0;
  // A fresh parent dir per test, so stores never see each other's files.
  const openFresh = (): Promise<PieceStore> => PieceStore.open(join(root(), String(n++)), MANIFEST);

  it('starts empty with a sparse data file of the full size', async () => {
    const store = await openFresh();
    try {
      assert.equal(store.path.endsWith(archiveIdOf(MANIFEST)), true);
      assert.equal(store.count, 0);
      assert.equal(store.complete, false);
      assert.deepEqual(store.missing(), [...Array(COUNT).keys()]);
      const info = await stat(join(store.path, 'data'));
      assert.equal(info.size, BYTES.length);
      assert.ok(info.blocks * 512 < SMALL_PIECE, `data file takes ${info.blocks * 512} bytes on disk`);
    } finally {
      await store.remove();
    }
  });

  it('takes pieces in any order and holds exactly the archive once all are in', async () => {
    const store = await openFresh();
    try {
      const order = shuffled(COUNT);
      for (const [k, i] of order.entries()) {
        assert.equal(store.has(i), false);
        await store.write(i, piece(i));
        assert.equal(store.has(i), true);
        assert.equal(store.count, k + 1);
        assert.deepEqual(await store.read(i), piece(i));
      }
      assert.equal(store.complete, true);
      assert.deepEqual(store.missing(), []);
      // A duplicate from a second source is accepted and changes nothing.
      await store.write(3, piece(3));
      assert.equal(store.count, COUNT);
      assert.deepEqual(await readFile(join(store.path, 'data')), BYTES);
    } finally {
      await store.remove();
    }
  });

  it('stores one copy when two sources deliver the same piece at once', async () => {
    const store = await openFresh();
    try {
      await Promise.all([store.write(2, piece(2)), store.write(2, Buffer.from(piece(2)))]);
      assert.equal(store.count, 1);
      assert.deepEqual(store.missing().includes(2), false);
    } finally {
      await store.remove();
    }
  });

  it('rejects a corrupt piece with PieceCorruptError and stores nothing', async () => {
    const store = await openFresh();
    try {
      const bad = Buffer.from(piece(4));
      bad[1000] = bad[1000]! ^ 0x01;
      const err = await expectAirliftRejection(
        store.write(4, bad),
        PieceCorruptError,
        ErrorCode.PieceCorrupt,
        ['piece 4', MANIFEST.pieces[4]!],
      );
      assert.equal(err.index, 4);
      assert.equal(err.expected, MANIFEST.pieces[4]);
      assert.notEqual(err.actual, err.expected);
      assert.equal(store.has(4), false);
      assert.equal(store.count, 0);
      // Nothing reached the data file either: the piece's range is still a hole.
      const range = pieceRange(MANIFEST, 4);
      const data = await readFile(join(store.path, 'data'));
      assert.ok(data.subarray(range.offset, range.offset + range.length).equals(Buffer.alloc(range.length)));

      // The right bytes at the wrong index, and a truncated piece, are corrupt too.
      await expectAirliftRejection(store.write(5, piece(4)), PieceCorruptError, ErrorCode.PieceCorrupt, [
        'piece 5',
      ]);
      await expectAirliftRejection(
        store.write(4, piece(4).subarray(1)),
        PieceCorruptError,
        ErrorCode.PieceCorrupt,
        [`${SMALL_PIECE - 1} bytes where ${SMALL_PIECE} belong`],
      );
      await expectAirliftRejection(
        store.write(COUNT, piece(0)),
        PieceIndexError,
        ErrorCode.PieceIndexOutOfRange,
        [`no piece ${COUNT}`],
      );
      assert.equal(store.count, 0);
    } finally {
      await store.remove();
    }
  });

  it('reads only pieces it holds', async () => {
    const store = await openFresh();
    try {
      await store.write(COUNT - 1, piece(COUNT - 1));
      const err = await expectAirliftRejection(store.read(1), PieceMissingError, ErrorCode.PieceMissing, [
        'piece 1',
      ]);
      assert.equal(err.index, 1);
      await expectAirliftRejection(store.read(-1), PieceIndexError, ErrorCode.PieceIndexOutOfRange, []);
      assert.deepEqual(await store.read(COUNT - 1), piece(COUNT - 1));
    } finally {
      await store.remove();
    }
  });

  it('waitFor resolves as the piece lands, and rejects on abort or close', async () => {
    const store = await openFresh();
    try {
      await store.write(1, piece(1));
      await store.waitFor(1);
      const later = store.waitFor(6);
      await sleep(20);
      await store.write(6, piece(6));
      await later;

      const controller = new AbortController();
      const aborted = store.waitFor(7, controller.signal);
      controller.abort(new Error('peer went away'));
      await assert.rejects(aborted, /peer went away/);
      await assert.rejects(store.waitFor(7, AbortSignal.abort(new Error('already'))), /already/);

      const pending = expectAirliftRejection(
        store.waitFor(8),
        PieceStoreClosedError,
        ErrorCode.PieceStoreClosed,
        ['closed'],
      );
      await store.close();
      await pending;
      await expectAirliftRejection(store.waitFor(8), PieceStoreClosedError, ErrorCode.PieceStoreClosed, []);
      await expectAirliftRejection(
        store.write(8, piece(8)),
        PieceStoreClosedError,
        ErrorCode.PieceStoreClosed,
        [],
      );
    } finally {
      await store.remove();
    }
  });

  it('stream() started before any piece yields exactly the archive as pieces arrive in random order', async () => {
    const store = await openFresh();
    try {
      // Never ahead of the pieces present: every byte emitted lies in the run of pieces 0..i all present.
      const consume = async (): Promise<Buffer> => {
        const chunks: Buffer[] = [];
        let emitted = 0;
        for await (const chunk of store.stream() as AsyncIterable<Buffer>) {
          emitted += chunk.length;
          const firstMissing = store.missing()[0];
          const limit = firstMissing === undefined ? BYTES.length : pieceRange(MANIFEST, firstMissing).offset;
          assert.ok(emitted <= limit, `emitted ${emitted} bytes while only ${limit} were contiguous`);
          chunks.push(chunk);
        }
        return Buffer.concat(chunks);
      };
      const collected = consume();
      for (const i of shuffled(COUNT)) {
        await sleep(Math.floor(Math.random() * 15));
        await store.write(i, piece(i));
      }
      assert.deepEqual(await collected, BYTES);
    } finally {
      await store.remove();
    }
  });

  it('stream(fromPiece) starts at that piece; stream(count) is empty', async () => {
    const store = await openFresh();
    try {
      for (let i = 0; i < COUNT; i++) await store.write(i, piece(i));
      assert.deepEqual(await collectBytes(store.stream(7)), BYTES.subarray(7 * SMALL_PIECE));
      assert.equal((await collectBytes(store.stream(COUNT))).length, 0);
      await expectAirliftRejection(
        Promise.resolve().then(() => store.stream(COUNT + 1)),
        PieceIndexError,
        ErrorCode.PieceIndexOutOfRange,
        [],
      );
    } finally {
      await store.remove();
    }
  });

  it('streamRange() yields exactly its bytes, across piece boundaries, waiting only for the pieces it covers', async () => {
    const store = await openFresh();
    try {
      const offset = 2 * SMALL_PIECE + 100;
      const length = 3 * SMALL_PIECE;
      // Covers pieces 2..5; piece 5 arrives last, and nothing outside the range is ever written.
      const reading = collectBytes(store.streamRange(offset, length));
      for (const i of [3, 2, 4]) await store.write(i, piece(i));
      await sleep(20);
      const early = await Promise.race([reading.then(() => 'done'), sleep(50).then(() => 'waiting')]);
      assert.equal(early, 'waiting', 'the range must wait for its last piece');
      await store.write(5, piece(5));
      assert.deepEqual(await reading, BYTES.subarray(offset, offset + length));
      assert.equal((await collectBytes(store.streamRange(offset, 0))).length, 0);
      assert.throws(() => store.streamRange(BYTES.length - 10, 11), RangeError);
      assert.throws(() => store.streamRange(-1, 5), RangeError);
    } finally {
      await store.remove();
    }
  });

  it('waitForRange() resolves once every piece the range touches is held, and not before', async () => {
    const store = await openFresh();
    try {
      // Bytes 1 to 3 pieces further: pieces 1, 2 and 3.
      const waiting = store.waitForRange(SMALL_PIECE + 1, 2 * SMALL_PIECE);
      let done = false;
      void waiting.then(() => (done = true));
      for (const i of [0, 3, 1, 4]) await store.write(i, piece(i));
      await sleep(20);
      assert.equal(done, false, 'piece 2 is still missing');
      await store.write(2, piece(2));
      await waiting;
      await store.waitForRange(0, 5 * SMALL_PIECE);
      const abort = new AbortController();
      const never = store.waitForRange(5 * SMALL_PIECE, 1, abort.signal);
      abort.abort(new Error('job stopped'));
      await assert.rejects(never, /job stopped/);
    } finally {
      await store.remove();
    }
  });

  it('stream() reads ahead of a stalled consumer by at most one chunk', async () => {
    const store = await openFresh();
    try {
      for (let i = 0; i < COUNT; i++) await store.write(i, piece(i));
      const stream = store.stream();
      stream.pause();
      stream.once('readable', () => undefined);
      await sleep(100);
      assert.ok(stream.readableLength <= STREAM_CHUNK_BYTES, `buffered ${stream.readableLength} bytes`);
      stream.destroy();
    } finally {
      await store.remove();
    }
  });

  it('stream() fails with the abort reason, or PieceStoreClosedError when the store closes', async () => {
    const store = await openFresh();
    try {
      await store.write(0, piece(0));
      const controller = new AbortController();
      const aborted = collectBytes(store.stream(0, controller.signal));
      await sleep(20);
      controller.abort(new Error('import cancelled'));
      await assert.rejects(aborted, /import cancelled/);

      const waiting = rejectionOf(collectBytes(store.stream()));
      await sleep(20);
      await store.close();
      assert.ok((await waiting) instanceof PieceStoreClosedError);
    } finally {
      await store.remove();
    }
  });

  it('remove() deletes the store directory', async () => {
    const store = await openFresh();
    await store.write(0, piece(0));
    await store.remove();
    await assert.rejects(stat(store.path), { code: 'ENOENT' });
    await store.remove();
  });
});
