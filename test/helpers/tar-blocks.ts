// Hand-made tar header blocks, for archive shapes tar-stream does not write (GNU long-name records,
// base-256 sizes, device entries, corrupted checksums).

export const BLOCK = 512;

/** Fields of a header block to craft; `sizeField` replaces the 12-byte size field verbatim. */
export interface HeaderSpec {
  readonly name: string;
  readonly size?: number;
  readonly typeflag?: string;
  readonly linkname?: string;
  readonly sizeField?: Buffer;
  /** `ustar` (POSIX, `ustar\0` + `00`) or `gnu` (`ustar ` + ` \0`). */
  readonly magic?: 'ustar' | 'gnu';
  readonly prefix?: string;
}

/** One 512-byte header block with a valid checksum. */
export function headerBlock(spec: HeaderSpec): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(spec.name, 0, 100, 'utf8');
  block.write('0000644\0', 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  const sizeField =
    spec.sizeField ?? Buffer.from(`${(spec.size ?? 0).toString(8).padStart(11, '0')}\0`, 'latin1');
  if (sizeField.length !== 12) throw new RangeError('size field must be 12 bytes');
  sizeField.copy(block, 124);
  block.write('14544745400\0', 136, 'latin1');
  block.write(spec.typeflag ?? '0', 156, 'latin1');
  if (spec.linkname !== undefined) block.write(spec.linkname, 157, 100, 'utf8');
  if (spec.magic === 'gnu') block.write('ustar  \0', 257, 'latin1');
  else block.write('ustar\x0000', 257, 'latin1');
  if (spec.prefix !== undefined) block.write(spec.prefix, 345, 155, 'utf8');
  return setChecksum(block);
}

/** Recomputes a header block's checksum field in place (after editing it) and returns it. */
export function setChecksum(block: Buffer): Buffer {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block.subarray(0, BLOCK)) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/** `data` followed by zeros up to the next block boundary. */
export function padToBlock(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK)]);
}

/** Header, data and padding of one member. */
export function memberBytes(spec: Omit<HeaderSpec, 'size'>, data: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([headerBlock({ ...spec, size: data.length }), padToBlock(data)]);
}

/** A GNU base-256 numeric field: 0x80 then the value big-endian. */
export function base256Field(value: bigint, width = 12): Buffer {
  const field = Buffer.alloc(width);
  let rest = value;
  for (let i = width - 1; i >= 1; i--) {
    field[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  field[0] = 0x80;
  return field;
}

/** PAX extended-header data: `<len> key=value\n` records, the length counting itself. */
export function paxData(records: Readonly<Record<string, string>>): Buffer {
  let out = '';
  for (const [key, value] of Object.entries(records)) {
    const body = ` ${key}=${value}\n`;
    let length = Buffer.byteLength(body) + 1;
    while (String(length).length + Buffer.byteLength(body) !== length) length++;
    out += `${length}${body}`;
  }
  return Buffer.from(out, 'utf8');
}

/** The archive end marker: two zero blocks. */
export const END_OF_ARCHIVE: Buffer = Buffer.alloc(2 * BLOCK);

/**
 * Offset of the header block whose name field is exactly `name`, found by scanning block boundaries
 * and checking the checksum (independent of the indexer under test); throws when there is none.
 */
export function findHeader(archive: Buffer, name: string): number {
  const wanted = Buffer.from(name, 'utf8');
  for (let at = 0; at + BLOCK <= archive.length; at += BLOCK) {
    const block = archive.subarray(at, at + BLOCK);
    const end = block.indexOf(0);
    const field = block.subarray(0, end < 0 || end > 100 ? 100 : end);
    if (!field.equals(wanted)) continue;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    const stored = Number.parseInt(block.toString('latin1', 148, 156).replace(/[\0 ]/g, ''), 8);
    if (stored === sum) return at;
  }
  throw new Error(`no header named ${name}`);
}

/** The archive minus its final two zero blocks (as tar-stream writes them), ready for more members. */
export function withoutEndMarker(archive: Buffer): Buffer {
  const end = archive.length - END_OF_ARCHIVE.length;
  if (end < 0 || !archive.subarray(end).equals(END_OF_ARCHIVE))
    throw new Error('archive does not end in two zero blocks');
  return archive.subarray(0, end);
}
