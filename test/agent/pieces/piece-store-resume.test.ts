import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFile, open, readFile, truncate, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { pieceRange, type PieceManifest } from '../../../shared/pieces/index.js';
import { PieceStore } from '../../../agent/pieces/index.js';
import { seededBytes } from '../../helpers/fixtures/index.js';
import { collectBytes } from '../../helpers/byte-streams.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import type { CrashWriterArgs } from './crash-writer.js';
import { independentManifest, pieceOf, shuffled, SMALL_PIECE } from '../../shared/pieces/piece-fixtures.js';

const BYTES = seededBytes('piece-resume', 11 * SMALL_PIECE + 4321);
const MANIFEST = independentManifest(BYTES, SMALL_PIECE);
const COUNT = MANIFEST.pieces.length;
const piece = (i: number): Buffer => pieceOf(BYTES, SMALL_PIECE, i);
const CRASH_WRITER = fileURLToPath(new URL('./crash-writer.js', import.meta.url));

async function fill(store: PieceStore, indexes: readonly number[]): Promise<void> {
  for (const i of indexes) await store.write(i, piece(i));
}

async function flipByte(path: string, offset: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    const one = Buffer.alloc(1);
    await handle.read(one, 0, 1, offset);
    one[0] = one[0]! ^ 0xff;
    await handle.write(one, 0, 1, offset);
  } finally {
    await handle.close();
  }
}

describe('PieceStore: resume', () => {
  const root = scratchDir('piece-resume');
  let n = 0;
  const freshDir = (): string => join(root(), String(n++));

  it('reopens with exactly the pieces written before close', async () => {
    const dir = freshDir();
    const half = shuffled(COUNT).slice(0, Math.floor(COUNT / 2));
    const first = await PieceStore.open(dir, MANIFEST);
    await fill(first, half);
    await first.close();

    const again = await PieceStore.open(dir, MANIFEST);
    try {
      assert.equal(again.droppedOnOpen, 0);
      assert.equal(again.count, half.length);
      for (let i = 0; i < COUNT; i++) assert.equal(again.has(i), half.includes(i), `piece ${i}`);
      assert.deepEqual(
        again.missing(),
        [...Array(COUNT).keys()].filter((i) => !half.includes(i)),
      );
      await fill(again, again.missing());
      assert.equal(again.complete, true);
      assert.deepEqual(await collectBytes(again.stream()), BYTES);
    } finally {
      await again.remove();
    }
  });

  it('verifyExisting drops a claimed piece whose bytes were damaged on disk, and forgets it for good', async () => {
    const dir = freshDir();
    const first = await PieceStore.open(dir, MANIFEST);
    await fill(first, [...Array(COUNT).keys()]);
    await first.close();
    await flipByte(join(first.path, 'data'), pieceRange(MANIFEST, 3).offset + 17);

    // Trusting the log is the fast path; it cannot see the damage.
    const trusting = await PieceStore.open(dir, MANIFEST, { verifyExisting: false });
    assert.equal(trusting.has(3), true);
    await trusting.close();

    const checking = await PieceStore.open(dir, MANIFEST);
    assert.equal(checking.droppedOnOpen, 1);
    assert.equal(checking.has(3), false);
    assert.deepEqual(checking.missing(), [3]);
    await checking.close();

    // The log was rewritten without piece 3, so even a trusting open no longer claims it.
    const after = await PieceStore.open(dir, MANIFEST, { verifyExisting: false });
    try {
      assert.deepEqual(after.missing(), [3]);
      await after.write(3, piece(3));
      assert.deepEqual(await collectBytes(after.stream()), BYTES);
    } finally {
      await after.remove();
    }
  });

  it('never claims pieces past the end of a data file that was cut short', async () => {
    const dir = freshDir();
    const first = await PieceStore.open(dir, MANIFEST);
    await fill(first, [0, 1, 5, COUNT - 1]);
    await first.close();
    await truncate(join(first.path, 'data'), 2 * SMALL_PIECE);

    const again = await PieceStore.open(dir, MANIFEST, { verifyExisting: false });
    try {
      assert.equal(again.droppedOnOpen, 2);
      assert.deepEqual(
        [0, 1, 5, COUNT - 1].map((i) => again.has(i)),
        [true, true, false, false],
      );
    } finally {
      await again.remove();
    }
  });

  it('ignores a torn or zero-filled tail in the have log and keeps appending in step', async () => {
    const dir = freshDir();
    const first = await PieceStore.open(dir, MANIFEST);
    await fill(first, [2, 4]);
    await first.close();
    const have = join(first.path, 'have');
    // What a crash mid-append can leave: zeros where a record was allocated, then half a record.
    await appendFile(have, Buffer.alloc(8));
    await appendFile(have, Buffer.from([1, 0, 0]));

    const again = await PieceStore.open(dir, MANIFEST, { verifyExisting: false });
    assert.deepEqual(
      [...Array(COUNT).keys()].filter((i) => again.has(i)),
      [2, 4],
    );
    await fill(again, [0, 7]);
    await again.close();

    const third = await PieceStore.open(dir, MANIFEST, { verifyExisting: false });
    try {
      assert.equal(third.droppedOnOpen, 0);
      assert.deepEqual(
        [...Array(COUNT).keys()].filter((i) => third.has(i)),
        [0, 2, 4, 7],
      );
    } finally {
      await third.remove();
    }
  });

  it('starts over when the same archive comes with another piece size', async () => {
    const dir = freshDir();
    const first = await PieceStore.open(dir, MANIFEST);
    await fill(first, [0, 1, 2]);
    await first.close();

    const bigger: PieceManifest = independentManifest(BYTES, 2 * SMALL_PIECE);
    const again = await PieceStore.open(dir, bigger, { verifyExisting: false });
    try {
      assert.equal(again.count, 0);
      assert.equal(again.path, first.path);
      await again.write(0, BYTES.subarray(0, 2 * SMALL_PIECE));
      assert.equal(again.has(0), true);
    } finally {
      await again.remove();
    }
  });

  it('a crash between the data fsync and the have-log append leaves that piece unclaimed', async () => {
    const dir = freshDir();
    const sourcePath = join(root(), `source-${n}.bin`);
    await writeFile(sourcePath, BYTES);
    const crashAt = 4;
    const args: CrashWriterArgs = { storeDir: dir, sourcePath, manifest: MANIFEST, crashAt };
    const child = spawn(process.execPath, [CRASH_WRITER, JSON.stringify(args)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    assert.equal(
      signal,
      'SIGKILL',
      `the writer should have been killed at piece ${crashAt} (exit ${code}): ${stderr}`,
    );

    const again = await PieceStore.open(dir, MANIFEST, { verifyExisting: false });
    try {
      // The piece's bytes did reach the disk; only the claim is missing, so it is fetched again.
      const range = pieceRange(MANIFEST, crashAt);
      const data = await readFile(join(again.path, 'data'));
      assert.deepEqual(data.subarray(range.offset, range.offset + range.length), piece(crashAt));
      assert.deepEqual(
        [...Array(crashAt + 1).keys()].map((i) => again.has(i)),
        [true, true, true, true, false],
      );
      assert.equal(again.missing()[0], crashAt);
    } finally {
      await again.remove();
    }
  });
});
