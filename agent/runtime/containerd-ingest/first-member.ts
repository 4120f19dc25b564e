import { Readable } from 'node:stream';

/**
 * The name in the archive's first tar header, and a stream that still yields every byte. The name tells
 * which importer fits before any byte is consumed: go-containerregistry archives (what charts-syncer
 * writes) start with their first config, `sha256:<hex>`. Undefined when the first header is not a plain
 * one (a PAX or GNU long-name record) or the stream ends first.
 */
export async function peekFirstMember(
  source: Readable,
): Promise<{ name: string | undefined; stream: Readable }> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const held: Buffer[] = [];
  let length = 0;
  while (length < 512) {
    const next = await iterator.next();
    if (next.done === true) break;
    held.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(held);
  async function* replay(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value;
  }
  const stream = Readable.from(replay(), { objectMode: false });
  const type = head.length >= 512 ? String.fromCharCode(head[156] ?? 0) : 'none';
  if (type !== '0' && type !== '\0') return { name: undefined, stream };
  const raw = head.subarray(0, 100);
  const end = raw.indexOf(0);
  return { name: raw.subarray(0, end === -1 ? 100 : end).toString('utf8'), stream };
}
