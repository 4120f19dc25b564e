import { Readable } from 'node:stream';

/** Reads a stream to the end into one buffer. */
export async function collectBytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

/** A stream delivering `buffer` in chunks of `size` bytes (1 for a worst-case trickle). */
export function chunkedStream(buffer: Buffer, size: number): Readable {
  function* chunks(): Generator<Buffer> {
    for (let at = 0; at < buffer.length; at += size) yield buffer.subarray(at, at + size);
  }
  return Readable.from(chunks(), { objectMode: false });
}
