import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { truncate, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { join } from 'node:path';
import { ErrorCode, PieceIndexError, PieceManifestError } from '../../../shared/errors/index.js';
import {
  DEFAULT_PIECE_SIZE,
  buildPieceManifest,
  parsePieceManifest,
  pieceManifestSchema,
  pieceRange,
  type PieceManifest,
} from '../../../shared/pieces/index.js';
import { BufferByteSource, FileByteSource, type ByteSource } from '../../../shared/tar/index.js';
import { seededBytes } from '../../helpers/fixtures/index.js';
import {
  assertAirliftError,
  expectAirliftRejection,
  thrownBy,
} from '../../helpers/airlift-error-assertions.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import { independentManifest, SMALL_PIECE } from './piece-fixtures.js';

const CASES: readonly { name: string; size: number; pieceSize: number; pieces: number }[] = [
  {
    name: 'not a multiple of the piece size',
    size: 3 * SMALL_PIECE + 1234,
    pieceSize: SMALL_PIECE,
    pieces: 4,
  },
  { name: 'smaller than one piece', size: 1000, pieceSize: SMALL_PIECE, pieces: 1 },
  { name: 'exactly one piece', size: SMALL_PIECE, pieceSize: SMALL_PIECE, pieces: 1 },
  { name: 'exactly N pieces', size: 5 * SMALL_PIECE, pieceSize: SMALL_PIECE, pieces: 5 },
  {
    name: 'one byte past N default pieces',
    size: 2 * DEFAULT_PIECE_SIZE + 1,
    pieceSize: DEFAULT_PIECE_SIZE,
    pieces: 3,
  },
];

async function withFile<T>(path: string, bytes: Buffer, use: (source: ByteSource) => Promise<T>): Promise<T> {
  await writeFile(path, bytes);
  const source = await FileByteSource.open(path);
  try {
    return await use(source);
  } finally {
    await source.close();
  }
}

describe('buildPieceManifest', () => {
  const dir = scratchDir('piece-manifest');

  for (const c of CASES) {
    it(`matches an independent computation: ${c.name}`, async () => {
      const bytes = seededBytes(c.name, c.size);
      const manifest = await withFile(join(dir(), 'images.tar'), bytes, (source) =>
        buildPieceManifest(source, c.pieceSize),
      );
      assert.equal(manifest.pieces.length, c.pieces);
      assert.deepEqual(manifest, independentManifest(bytes, c.pieceSize));
      assert.deepEqual(parsePieceManifest(manifest, 'test'), manifest);
      // Every range reads back exactly the bytes that were hashed for it.
      for (let i = 0; i < manifest.pieces.length; i++) {
        const { offset, length } = pieceRange(manifest, i);
        assert.equal(length, Math.min(c.pieceSize, c.size - offset));
      }
    });
  }

  it('agrees with sha256sum on the whole archive', async () => {
    const bytes = seededBytes('sha256sum', 2 * SMALL_PIECE + 7);
    const path = join(dir(), 'sum.tar');
    const manifest = await withFile(path, bytes, (source) => buildPieceManifest(source, SMALL_PIECE));
    const hex = execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0];
    assert.equal(manifest.sha256, `sha256:${hex ?? ''}`);
  });

  it('reads only its byte range of a larger file (images.tar inside a bundle)', async () => {
    const bytes = seededBytes('bundle', 6 * SMALL_PIECE);
    const start = 512 * 3;
    const length = 4 * SMALL_PIECE + 99;
    const manifest = await withFile(join(dir(), 'bundle.tar'), bytes, (source) =>
      buildPieceManifest(source.slice(start, length, 'bundle.tar!images.tar'), SMALL_PIECE),
    );
    assert.deepEqual(manifest, independentManifest(bytes.subarray(start, start + length), SMALL_PIECE));
  });

  it('refuses an empty archive', async () => {
    const err = await expectAirliftRejection(
      buildPieceManifest(new BufferByteSource(Buffer.alloc(0), 'empty.tar')),
      PieceManifestError,
      ErrorCode.PieceManifestInvalid,
      ['empty.tar', 'empty'],
    );
    assert.equal(err.context.field, 'size');
  });

  it('refuses piece sizes that are not a power of two from 16 KiB to 64 MiB', async () => {
    const source = new BufferByteSource(Buffer.alloc(10), 'x.tar');
    for (const bad of [0, 1000, 8 * 1024, 3 * SMALL_PIECE, 128 * 1024 * 1024, SMALL_PIECE + 0.5]) {
      await expectAirliftRejection(
        buildPieceManifest(source, bad),
        PieceManifestError,
        ErrorCode.PieceManifestInvalid,
        ['pieceSize'],
      );
    }
  });

  it('refuses a file that shrinks while it is read', async () => {
    const path = join(dir(), 'shrinking.tar');
    await writeFile(path, seededBytes('shrink', 2 * SMALL_PIECE));
    const source = await FileByteSource.open(path, 'shrinking.tar');
    try {
      await truncate(path, SMALL_PIECE);
      await expectAirliftRejection(
        buildPieceManifest(source, SMALL_PIECE),
        PieceManifestError,
        ErrorCode.PieceManifestInvalid,
        ['shrinking.tar', `${SMALL_PIECE} bytes where it announced ${2 * SMALL_PIECE}`],
      );
    } finally {
      await source.close();
    }
  });

  it('stops with the abort reason', async () => {
    const bytes = seededBytes('abort', 8 * SMALL_PIECE);
    await withFile(join(dir(), 'abort.tar'), bytes, async (source) => {
      const already = AbortSignal.abort(new Error('stop now'));
      await assert.rejects(buildPieceManifest(source, SMALL_PIECE, already), /stop now/);
      const controller = new AbortController();
      const building = buildPieceManifest(source, SMALL_PIECE, controller.signal);
      controller.abort(new Error('operator cancelled'));
      await assert.rejects(building, /operator cancelled/);
    });
  });
});

describe('pieceManifestSchema', () => {
  const good: PieceManifest = independentManifest(seededBytes('schema', 3 * SMALL_PIECE + 5), SMALL_PIECE);
  const single: PieceManifest = independentManifest(seededBytes('single', 100), SMALL_PIECE);

  it('accepts consistent manifests', () => {
    assert.ok(pieceManifestSchema.safeParse(good).success);
    assert.ok(pieceManifestSchema.safeParse(single).success);
  });

  const bad: readonly [string, unknown, string][] = [
    ['one piece too few', { ...good, pieces: good.pieces.slice(1) }, 'pieces'],
    ['one piece too many', { ...good, pieces: [...good.pieces, good.pieces[0]] }, 'pieces'],
    ['size that needs another piece', { ...good, size: 4 * SMALL_PIECE + 1 }, 'pieces'],
    ['uppercase hex', { ...good, pieces: [good.pieces[0]!.toUpperCase(), ...good.pieces.slice(1)] }, '[0]'],
    ['short digest', { ...good, pieces: ['abc', ...good.pieces.slice(1)] }, '[0]'],
    ['archive digest without prefix', { ...good, sha256: good.sha256.slice(7) }, 'sha256'],
    ['piece size not a power of two', { ...good, pieceSize: 3 * 128 * 1024 }, 'pieceSize'],
    ['piece size below 16 KiB', { ...good, pieceSize: 8 * 1024, pieces: [] }, 'pieceSize'],
    ['piece size above 64 MiB', { ...good, pieceSize: 128 * 1024 * 1024 }, 'pieceSize'],
    ['zero size', { ...good, size: 0, pieces: [] }, 'size'],
    ['fractional size', { ...good, size: 1.5 }, 'size'],
    ['single piece whose digest is not the archive digest', { ...single, sha256: good.sha256 }, 'pieces[0]'],
    ['missing field', { pieceSize: good.pieceSize, size: good.size, pieces: good.pieces }, 'sha256'],
  ];

  for (const [name, value, field] of bad) {
    it(`rejects ${name}, naming ${field}`, () => {
      assert.equal(pieceManifestSchema.safeParse(value).success, false);
      const err = assertAirliftError(
        thrownBy(() => parsePieceManifest(value, 'job payload')),
        PieceManifestError,
        ErrorCode.PieceManifestInvalid,
        ['job payload', field],
      );
      assert.ok(err.context.field?.startsWith(field.replace(/\[.*$/, '')), err.message);
    });
  }

  it('embeds in a larger zod object (the job payload)', () => {
    const payload = z.object({ archive: z.object({ id: z.string(), pieces: pieceManifestSchema }) });
    const wire = JSON.parse(JSON.stringify({ archive: { id: 'x', pieces: good } })) as unknown;
    assert.deepEqual(payload.parse(wire).archive.pieces, good);
    const broken = { archive: { id: 'x', pieces: { ...good, pieces: [] } } };
    assert.deepEqual(payload.safeParse(broken).error?.issues[0]?.path, ['archive', 'pieces', 'pieces']);
  });
});

describe('pieceRange', () => {
  const manifest = independentManifest(seededBytes('range', 2 * SMALL_PIECE + 10), SMALL_PIECE);

  it('gives full pieces and a short last one', () => {
    assert.deepEqual(pieceRange(manifest, 0), { offset: 0, length: SMALL_PIECE });
    assert.deepEqual(pieceRange(manifest, 1), { offset: SMALL_PIECE, length: SMALL_PIECE });
    assert.deepEqual(pieceRange(manifest, 2), { offset: 2 * SMALL_PIECE, length: 10 });
  });

  it('throws PieceIndexError outside [0, count) and for non-integers', () => {
    for (const index of [-1, 3, 1.5, Number.NaN]) {
      assertAirliftError(
        thrownBy(() => pieceRange(manifest, index)),
        PieceIndexError,
        ErrorCode.PieceIndexOutOfRange,
        ['pieces 0..2'],
      );
    }
  });
});
