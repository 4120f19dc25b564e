import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

/** sha256 of a stream as `sha256:<hex>`: images.tar is hashed once per run so every node can check its copy. */
export async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
