import { createHash, randomFillSync } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { PieceManifest } from '../../../shared/pieces/index.js';

/** Size of the smallest legal piece; tests use it to get many pieces out of a few MiB. */
export const SMALL_PIECE = 256 * 1024;

/** The manifest computed the plain way, from the whole buffer in memory, to check the streaming builder. */
export function independentManifest(bytes: Buffer, pieceSize: number): PieceManifest {
  const pieces: string[] = [];
  for (let at = 0; at < bytes.length; at += pieceSize) {
    pieces.push(
      createHash('sha256')
        .update(bytes.subarray(at, at + pieceSize))
        .digest('hex'),
    );
  }
  return {
    pieceSize,
    size: bytes.length,
    pieces,
    sha256: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
  };
}

/** The bytes of piece `index` of `bytes`. */
export function pieceOf(bytes: Buffer, pieceSize: number, index: number): Buffer {
  return bytes.subarray(index * pieceSize, (index + 1) * pieceSize);
}

/** `0..n-1` in a random order. */
export function shuffled(n: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Writes `size` random bytes to `path` in 4 MiB blocks (never the whole file in memory) and fsyncs it;
 * returns the manifest computed on the way, piece by piece, independently of buildPieceManifest.
 */
export async function writeRandomFile(path: string, size: number, pieceSize: number): Promise<PieceManifest> {
  const handle = await open(path, 'w');
  const whole = createHash('sha256');
  const pieces: string[] = [];
  const block = Buffer.allocUnsafe(Math.max(pieceSize, 4 * 1024 * 1024));
  try {
    for (let at = 0; at < size; at += block.length) {
      const chunk = block.subarray(0, Math.min(block.length, size - at));
      randomFillSync(chunk);
      await handle.write(chunk, 0, chunk.length, at);
      whole.update(chunk);
      for (let p = 0; p < chunk.length; p += pieceSize) {
        pieces.push(
          createHash('sha256')
            .update(chunk.subarray(p, p + pieceSize))
            .digest('hex'),
        );
      }
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { pieceSize, size, pieces, sha256: `sha256:${whole.digest('hex')}` };
}

/** MB/s (10^6 bytes per second) for log lines. */
export function mbPerSecond(bytes: number, ms: number): string {
  return (bytes / 1e6 / (ms / 1000)).toFixed(0);
}
