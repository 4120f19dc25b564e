import { Transform, type Readable, type TransformCallback } from 'node:stream';

/** A pass-through that counts bytes, for load reports and progress. */
export class CountingStream extends Transform {
  bytes = 0;

  constructor(private readonly onProgress?: (bytes: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.onProgress?.(this.bytes);
    callback(null, chunk);
  }
}

/** Pipes `source` through a new CountingStream; a source error fails the counter too, so consumers see it. */
export function countBytes(source: Readable): CountingStream {
  const counter = new CountingStream();
  source.on('error', (err) => counter.destroy(err));
  source.pipe(counter);
  return counter;
}
