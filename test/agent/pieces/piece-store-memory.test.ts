import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_PIECE_SIZE, pieceRange } from '../../../shared/pieces/index.js';
import { PieceStore } from '../../../agent/pieces/index.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import { mbPerSecond, writeRandomFile } from '../../shared/pieces/piece-fixtures.js';

const SIZE = 256 * 1024 * 1024;
const MiB = 1024 * 1024;
const RSS_BUDGET = 64 * MiB;

// A baseline taken after a full collection, so garbage left by the setup does not hide the stream's
// own growth. The test command cannot pass --expose-gc, so turn it on from inside.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function rss(): number {
  return process.memoryUsage().rss;
}

describe('PieceStore: memory while streaming (256 MiB)', () => {
  const dir = scratchDir('piece-memory');

  it('streams a complete 256 MiB store with RSS growth under 64 MiB', async (t: TestContext) => {
    const sourcePath = join(dir(), 'images.tar');
    const manifest = await writeRandomFile(sourcePath, SIZE, DEFAULT_PIECE_SIZE);
    const source = await open(sourcePath, 'r');
    const storeDir = join(dir(), 'store');
    try {
      const first = await PieceStore.open(storeDir, manifest);
      const filling = performance.now();
      // Bounded: one pass over the manifest's pieces through one reused buffer, so the setup leaves no
      // freed-but-mapped memory that would make the baseline below look higher than it is.
      const buffer = Buffer.allocUnsafe(manifest.pieceSize);
      for (let i = 0; i < manifest.pieces.length; i++) {
        const { offset, length } = pieceRange(manifest, i);
        const { bytesRead } = await source.read(buffer.subarray(0, length), 0, length, offset);
        assert.equal(bytesRead, length);
        await first.write(i, buffer.subarray(0, length));
      }
      const fillMs = performance.now() - filling;
      await first.close();

      const reopening = performance.now();
      const store = await PieceStore.open(storeDir, manifest);
      const verifyMs = performance.now() - reopening;
      assert.equal(store.complete, true);
      try {
        gc();
        const baseline = rss();
        let peak = baseline;
        let bytes = 0;
        const hash = createHash('sha256');
        const streaming = performance.now();
        for await (const chunk of store.stream() as AsyncIterable<Buffer>) {
          hash.update(chunk);
          bytes += chunk.length;
          peak = Math.max(peak, rss());
        }
        const streamMs = performance.now() - streaming;
        assert.equal(bytes, SIZE);
        assert.equal(`sha256:${hash.digest('hex')}`, manifest.sha256);
        const growth = peak - baseline;
        t.diagnostic(
          `store filled at ${mbPerSecond(SIZE, fillMs)} MB/s (verify + write, fsyncs grouped across pieces), ` +
            `reopened and re-verified at ${mbPerSecond(SIZE, verifyMs)} MB/s, ` +
            `streamed at ${mbPerSecond(SIZE, streamMs)} MB/s; RSS ${(baseline / MiB).toFixed(0)} MiB before, ` +
            `peak growth ${(growth / MiB).toFixed(1)} MiB`,
        );
        assert.ok(growth < RSS_BUDGET, `RSS grew by ${(growth / MiB).toFixed(1)} MiB while streaming`);
      } finally {
        await store.remove();
      }
    } finally {
      await source.close();
    }
  });
});
