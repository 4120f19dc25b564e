import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { PieceStore, type PieceStoreHooks } from '../../../agent/pieces/index.js';
import { seededBytes } from '../../helpers/fixtures/index.js';
import { collectBytes } from '../../helpers/byte-streams.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import { independentManifest, pieceOf, SMALL_PIECE } from '../../shared/pieces/piece-fixtures.js';

const BYTES = seededBytes('piece-store-hot', 6 * SMALL_PIECE + 99);
const MANIFEST = independentManifest(BYTES, SMALL_PIECE);
const COUNT = MANIFEST.pieces.length;
const piece = (i: number): Buffer => pieceOf(BYTES, SMALL_PIECE, i);
const HAVE_HEADER = 16;
const HAVE_RECORD = 8;

/** A disk that stops after each piece's fsync until the test lets it go on. */
function gatedDisk(): {
  hooks: PieceStoreHooks;
  synced: number[];
  commits: (readonly number[])[];
  release(): void;
} {
  let open: () => void = () => undefined;
  let gate = new Promise<void>((resolve) => (open = resolve));
  const synced: number[] = [];
  const commits: (readonly number[])[] = [];
  return {
    synced,
    commits,
    hooks: {
      afterDataSync: async (index) => {
        synced.push(index);
        await gate;
      },
      afterCommit: (indexes) => commits.push(indexes),
    },
    release: () => {
      open();
      gate = Promise.resolve();
    },
  };
}

/** Waits (bounded) until the data file has blocks for the whole archive: every write has landed. */
async function allBytesWritten(store: PieceStore): Promise<void> {
  for (let tries = 0; tries < 500; tries++) {
    if ((await stat(join(store.path, 'data'))).blocks * 512 >= BYTES.length) return;
    await sleep(10);
  }
  assert.fail('the piece writes did not land within 5 s');
}

async function recordsIn(store: PieceStore): Promise<number> {
  const have = await readFile(join(store.path, 'have'));
  return (have.length - HAVE_HEADER) / HAVE_RECORD;
}

describe('PieceStore: hot pieces', () => {
  const root = scratchDir('piece-store-hot');
  let n = 0;
  const fresh = (): string => join(root(), String(n++));

  it('serves a verified piece to waiters, readers and streams before its bytes are durable', async () => {
    const disk = gatedDisk();
    const store = await PieceStore.open(fresh(), MANIFEST, { hooks: disk.hooks });
    try {
      const waiting = store.waitFor(0);
      await store.write(0, piece(0));
      await waiting;
      assert.equal(store.has(0), true);
      assert.deepEqual(await store.read(0), piece(0));
      for (let i = 1; i < COUNT; i++) await store.write(i, piece(i));
      assert.equal(store.complete, true);
      assert.deepEqual(await collectBytes(store.stream()), BYTES);
      // Nothing is recorded while the disk is held back: the have log still claims no piece.
      assert.equal(await recordsIn(store), 0);
      disk.release();
      await store.flush();
      assert.equal(await recordsIn(store), COUNT);
    } finally {
      disk.release();
      await store.remove();
    }
  });

  it('lets writes run at most hotBytes ahead of the disk', async () => {
    const disk = gatedDisk();
    const store = await PieceStore.open(fresh(), MANIFEST, { hooks: disk.hooks, hotBytes: SMALL_PIECE });
    try {
      await store.write(0, piece(0));
      // A second piece would put two pieces in memory that are not on disk: it waits for the first.
      let secondDone = false;
      const second = store.write(1, piece(1)).then(() => (secondDone = true));
      await sleep(50);
      assert.equal(secondDone, false);
      assert.equal(store.has(1), true, 'held (and served) even while the writer waits');
      disk.release();
      await second;
      await store.flush();
      assert.equal(await recordsIn(store), 2);
    } finally {
      disk.release();
      await store.remove();
    }
  });

  it('groups pieces that wait for the disk into one have-log commit', async () => {
    const disk = gatedDisk();
    const store = await PieceStore.open(fresh(), MANIFEST, { hooks: disk.hooks });
    try {
      await store.write(0, piece(0));
      // Piece 0's commit is under way (gated); the rest queue behind it and go in as one batch.
      for (let i = 1; i < COUNT; i++) await store.write(i, piece(i));
      await allBytesWritten(store);
      disk.release();
      await store.flush();
      // Writes land in any order (the thread pool); what matters is which pieces share a commit.
      const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);
      assert.deepEqual(sorted(disk.synced), [...Array(COUNT).keys()]);
      assert.deepEqual(
        disk.commits.map(sorted),
        [[0], [...Array(COUNT).keys()].slice(1)],
        'one fsync and one log write for all the waiting pieces',
      );
      assert.equal(await recordsIn(store), COUNT);
    } finally {
      await store.remove();
    }
  });

  it('reads pieces back from disk once they leave memory', async () => {
    const store = await PieceStore.open(fresh(), MANIFEST, { hotBytes: SMALL_PIECE });
    try {
      for (let i = 0; i < COUNT; i++) {
        await store.write(i, piece(i));
        await store.flush();
      }
      for (let i = 0; i < COUNT; i++) assert.deepEqual(await store.read(i), piece(i));
      assert.deepEqual(await collectBytes(store.stream()), BYTES);
    } finally {
      await store.remove();
    }
  });

  it('keeps its own copy: the caller may reuse its buffer at once', async () => {
    const dir = fresh();
    const store = await PieceStore.open(dir, MANIFEST);
    try {
      const buffer = Buffer.from(piece(2));
      await store.write(2, buffer);
      buffer.fill(0);
      assert.deepEqual(await store.read(2), piece(2));
      await store.flush();
      await store.close();
      const again = await PieceStore.open(dir, MANIFEST);
      assert.deepEqual(await again.read(2), piece(2));
      await again.remove();
    } finally {
      await store.remove();
    }
  });

  it('keeps a handed-over buffer itself instead of a copy, and still checks it', async () => {
    const dir = fresh();
    const store = await PieceStore.open(dir, MANIFEST);
    try {
      const corrupt = Buffer.from(piece(1));
      corrupt[0] = (corrupt[0] ?? 0) ^ 1;
      await assert.rejects(store.write(1, corrupt, true), { name: 'PieceCorruptError' });
      assert.equal(store.has(1), false);
      const buffer = Buffer.from(piece(2));
      await store.write(2, buffer, true);
      const read = await store.read(2);
      assert.equal(read.buffer, buffer.buffer, 'served from the very buffer handed over');
      assert.deepEqual(read, piece(2));
      await store.flush();
      await store.close();
      const again = await PieceStore.open(dir, MANIFEST);
      assert.deepEqual(await again.read(2), piece(2), 'and on disk');
      await again.remove();
    } finally {
      await store.remove();
    }
  });

  it("reuses a received piece's buffer once it is durable, out of memory and given back by its reader", async () => {
    const dir = fresh();
    // One piece of memory: every new piece pushes the one before out, once it is durable.
    const store = await PieceStore.open(dir, MANIFEST, { hotBytes: SMALL_PIECE });
    try {
      const first = store.allocate(SMALL_PIECE);
      piece(0).copy(first);
      await store.write(0, first, true);
      const lent = await store.read(0);
      assert.equal(lent.buffer, first.buffer);
      const streamed = store.stream(0);
      for (let index = 1; index < 3; index++) {
        const buffer = store.allocate(piece(index).length);
        assert.notEqual(buffer.buffer, first.buffer, 'lent to a reader: not reused');
        piece(index).copy(buffer);
        await store.write(index, buffer, true);
        await store.flush();
      }
      assert.deepEqual(lent, piece(0), 'the reader still sees its piece');
      store.release(lent);
      const next = store.allocate(SMALL_PIECE);
      assert.equal(next.buffer, first.buffer, 'given back: it carries the next piece');
      next.fill(0xab);
      for (let index = 3; index < COUNT; index++) await store.write(index, Buffer.from(piece(index)));
      assert.deepEqual(await collectBytes(streamed), BYTES, 'the import stream copied what it read');
      assert.deepEqual(await store.read(0), piece(0), 'piece 0 from disk');
    } finally {
      await store.remove();
    }
  });

  it('reports a failed disk write through flush() and refuses later writes', async () => {
    const dir = fresh();
    const store = await PieceStore.open(dir, MANIFEST, {
      hooks: {
        afterDataSync: (index) => {
          if (index === 1) throw new Error('disk on fire');
        },
      },
    });
    try {
      await store.write(0, piece(0));
      await store.write(1, piece(1));
      await assert.rejects(store.flush(), /disk on fire/);
      await assert.rejects(store.write(2, piece(2)), /disk on fire/);
      await store.close();
      // Reopened, the store claims only what was recorded before the failure.
      const again = await PieceStore.open(dir, MANIFEST);
      assert.equal(again.has(1), false);
      assert.equal(again.has(2), false);
      await again.remove();
    } finally {
      await store.remove();
    }
  });
});
