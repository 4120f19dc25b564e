import { createHash } from 'node:crypto';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** What a consumer saw of a fetch: the bytes in order and how the stream ended. */
export interface Consumed {
  readonly bytes: Buffer;
  readonly error: unknown;
}

/**
 * Pipes `stream` into a sink that takes `delayMs` per chunk, the way a runtime import consumes
 * slower than loopback delivers; `onChunk` runs as each chunk is accepted.
 */
export async function consume(
  stream: Readable,
  options: { delayMs?: number; onChunk?: (received: number) => void } = {},
): Promise<Consumed> {
  const chunks: Buffer[] = [];
  let received = 0;
  const sink = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      received += chunk.length;
      options.onChunk?.(received);
      if (options.delayMs === undefined) callback();
      else setTimeout(callback, options.delayMs);
    },
  });
  try {
    await pipeline(stream, sink);
    return { bytes: Buffer.concat(chunks), error: undefined };
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error };
  }
}

/** sha256:<hex> of `bytes`. */
export function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
