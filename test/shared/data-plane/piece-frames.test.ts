import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  BadFrameError,
  END_OF_PIECES,
  FRAME_HEADER_BYTES,
  frameHeader,
  type FramedPiece,
} from '../../../shared/data-plane/piece-frames.js';
import { readFrames } from '../../helpers/read-frames.js';

const MAX = 1024;

/** `chunks`, one at a time, as a socket would hand them over. */
async function* feed(chunks: readonly Buffer[]): AsyncGenerator<Buffer> {
  for (const chunk of chunks) {
    await Promise.resolve();
    yield chunk;
  }
}

/** Every piece readFrames yields for `chunks`, or what it threw (with the pieces before it). */
async function read(
  chunks: readonly Buffer[],
  max = MAX,
): Promise<{ readonly pieces: FramedPiece[]; readonly error: unknown }> {
  const pieces: FramedPiece[] = [];
  try {
    for await (const piece of readFrames(feed(chunks), max)) pieces.push(piece);
    return { pieces, error: undefined };
  } catch (error) {
    return { pieces, error };
  }
}

/** Frames as a server writes them: header, then body, for each piece; then the end frame. */
function frames(pieces: readonly FramedPiece[]): Buffer {
  return Buffer.concat([...pieceFrames(pieces), END]);
}

/** The frames of `pieces`, without the end frame. */
function pieceFrames(pieces: readonly FramedPiece[]): Buffer[] {
  return pieces.flatMap((p) => [frameHeader(p.index, p.data.length), p.data]);
}

const END = frameHeader(END_OF_PIECES, 0);

/** `bytes` cut into chunks of `size` (the last one shorter). */
function chunked(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

const PIECES: FramedPiece[] = [
  { index: 0, data: randomBytes(100) },
  { index: 1, data: Buffer.alloc(0) },
  { index: 2, data: randomBytes(MAX) },
  { index: 7, data: randomBytes(1) },
  { index: 0xffff_fffe, data: randomBytes(37) },
  { index: 9, data: Buffer.alloc(0) },
];
const STREAM = frames(PIECES);

describe('piece frames', () => {
  it('writes a header of the index and the length, both uint32 big-endian', () => {
    const header = frameHeader(0x0102_0304, 0xa0b0_c0d0);
    assert.equal(FRAME_HEADER_BYTES, 8);
    assert.deepEqual(header, Buffer.from([1, 2, 3, 4, 0xa0, 0xb0, 0xc0, 0xd0]));
    assert.deepEqual(frameHeader(0, 0), Buffer.alloc(8));
  });

  it('reads every piece byte-exact from a stream in one chunk, zero-length pieces included', async () => {
    const { pieces, error } = await read([STREAM]);
    assert.equal(error, undefined);
    assert.deepEqual(pieces, PIECES);
    assert.equal(pieces[1]?.data.length, 0);
  });

  it('reads the same pieces whichever byte the stream is split at', async () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const { pieces, error } = await read([STREAM.subarray(0, cut), STREAM.subarray(cut)]);
      assert.equal(error, undefined, `split at ${cut}`);
      assert.deepEqual(pieces, PIECES, `split at ${cut}`);
    }
  });

  it('reads the same pieces from 1-byte chunks, 3-byte chunks and 9-byte chunks', async () => {
    for (const size of [1, 3, FRAME_HEADER_BYTES + 1]) {
      const { pieces, error } = await read(chunked(STREAM, size));
      assert.equal(error, undefined, `chunks of ${size}`);
      assert.deepEqual(pieces, PIECES, `chunks of ${size}`);
    }
  });

  it('gives each piece a buffer of its own, not a view into the chunk that carried it', async () => {
    const chunk = Buffer.from(STREAM);
    const { pieces } = await read([chunk]);
    chunk.fill(0);
    assert.deepEqual(pieces, PIECES);
  });

  it('ends without a piece on a stream of just its end frame', async () => {
    assert.deepEqual(await read([END]), { pieces: [], error: undefined });
    assert.deepEqual(await read([Buffer.alloc(0), END, Buffer.alloc(0)]), { pieces: [], error: undefined });
  });

  it('throws BadFrameError for a stream that stops before its end frame, or goes on after it', async () => {
    for (const cut of [[], pieceFrames(PIECES.slice(0, 2))]) {
      const { pieces, error } = await read(cut);
      assert.ok(error instanceof BadFrameError, String(error));
      assert.match(error.message, /stopped before its end frame/);
      assert.equal(pieces.length, cut.length / 2, 'the pieces before the cut were read');
    }
    const trailing = await read([Buffer.concat([frames(PIECES.slice(0, 1)), Buffer.from('x')])]);
    assert.ok(trailing.error instanceof BadFrameError, String(trailing.error));
    assert.match(trailing.error.message, /goes on after its end frame/);
    const longEnd = await read([frameHeader(END_OF_PIECES, 1), Buffer.from('x')]);
    assert.ok(longEnd.error instanceof BadFrameError, String(longEnd.error));
  });

  it('refuses a frame longer than the limit with BadFrameError, before allocating its body', async (t) => {
    // A frame of exactly the limit is fine.
    const atLimit = await read([frames([{ index: 3, data: randomBytes(MAX) }])]);
    assert.equal(atLimit.error, undefined);
    assert.equal(atLimit.pieces[0]?.data.length, MAX);

    const huge = 0xffff_ffff;
    const hugeStream = [
      ...pieceFrames([{ index: 0, data: Buffer.from('ok') }]),
      frameHeader(5, huge),
      randomBytes(64),
    ];
    const oneTooManyStream = [frameHeader(6, MAX + 1), randomBytes(MAX + 1)];
    const allocated: number[] = [];
    const allocUnsafe = Buffer.allocUnsafe.bind(Buffer);
    t.mock.method(Buffer, 'allocUnsafe', (size: number) => {
      allocated.push(size);
      return allocUnsafe(size);
    });
    const outcome = await read(hugeStream);
    const oneTooMany = await read(oneTooManyStream);
    t.mock.restoreAll();

    assert.ok(outcome.error instanceof BadFrameError, String(outcome.error));
    assert.match(outcome.error.message, new RegExp(`piece 5 .*${huge}.*${MAX}`));
    assert.deepEqual(outcome.pieces, [{ index: 0, data: Buffer.from('ok') }], 'pieces before it were read');
    assert.ok(oneTooMany.error instanceof BadFrameError, String(oneTooMany.error));
    assert.match(oneTooMany.error.message, /piece 6 /);
    assert.ok(allocated.length > 0, 'the mock saw the allocations');
    assert.deepEqual(
      allocated.filter((size) => size > MAX),
      [],
      'nothing larger than the limit was allocated',
    );
  });

  it('throws BadFrameError when the stream ends inside a header or a body', async () => {
    const whole = Buffer.concat(pieceFrames(PIECES.slice(0, 1)));
    const insideHeader = await read([whole, frameHeader(1, 10).subarray(0, 5)]);
    assert.ok(insideHeader.error instanceof BadFrameError, String(insideHeader.error));
    assert.match(insideHeader.error.message, /ended inside a frame/);
    assert.deepEqual(insideHeader.pieces, PIECES.slice(0, 1));

    const insideBody = await read([whole, frameHeader(1, 10), Buffer.alloc(9)]);
    assert.ok(insideBody.error instanceof BadFrameError, String(insideBody.error));
    assert.deepEqual(insideBody.pieces, PIECES.slice(0, 1));

    // Every strict prefix of the stream is cut off, whether or not it ends on a frame boundary.
    for (let cut = 0; cut < STREAM.length; cut++) {
      const { error } = await read([STREAM.subarray(0, cut)]);
      assert.ok(error instanceof BadFrameError, `cut at ${cut}: ${String(error)}`);
    }
  });
});
