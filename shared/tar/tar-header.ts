/** One parsed 512-byte ustar/GNU header block, before PAX or GNU long-name records are applied. */
export interface RawTarHeader {
  readonly name: string;
  readonly mode: number;
  readonly size: number;
  readonly typeflag: string;
  readonly linkname: string;
}

export const BLOCK_SIZE = 512;

/** Why a header block could not be read; the caller adds file and position. */
export class TarHeaderProblem {
  constructor(readonly detail: string) {}
}

/** True for the all-zero block that marks the end of an archive. */
export function isZeroBlock(block: Buffer): boolean {
  for (const byte of block) if (byte !== 0) return false;
  return true;
}

/** Parses a header block, checking its checksum; returns a problem instead of throwing. */
export function parseHeaderBlock(block: Buffer): RawTarHeader | TarHeaderProblem {
  if (block.length !== BLOCK_SIZE) return new TarHeaderProblem('short header block');
  const stored = parseOctal(block.subarray(148, 156));
  if (stored === undefined) return new TarHeaderProblem('header checksum field is not a number');
  if (stored !== checksum(block))
    return new TarHeaderProblem('header checksum mismatch (not a tar file, or corrupted)');
  const size = parseNumeric(block.subarray(124, 136));
  if (size === undefined) return new TarHeaderProblem('size field is not a number');
  const magic = block.toString('latin1', 257, 263);
  const prefix = magic === 'ustar\0' ? cString(block.subarray(345, 500)) : '';
  const name = cString(block.subarray(0, 100));
  return {
    name: prefix === '' ? name : `${prefix}/${name}`,
    mode: parseOctal(block.subarray(100, 108)) ?? 0,
    size,
    typeflag: String.fromCharCode(block[156] ?? 0),
    linkname: cString(block.subarray(157, 257)),
  };
}

/** Parses PAX extended-header records ("<len> key=value\n"). */
export function parsePaxRecords(data: Buffer): Map<string, string> | TarHeaderProblem {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break;
    const space = data.indexOf(0x20, pos);
    if (space < 0) return new TarHeaderProblem('PAX record without length');
    const length = Number.parseInt(data.toString('latin1', pos, space), 10);
    if (!Number.isInteger(length) || length <= 0 || pos + length > data.length) {
      return new TarHeaderProblem('PAX record length out of range');
    }
    const record = data.toString('utf8', space + 1, pos + length - 1);
    const eq = record.indexOf('=');
    if (eq < 0) return new TarHeaderProblem('PAX record without "="');
    records.set(record.slice(0, eq), record.slice(eq + 1));
    pos += length;
  }
  return records;
}

function checksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
  return sum;
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.toString('utf8', 0, end < 0 ? field.length : end);
}

function parseOctal(field: Buffer): number | undefined {
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  return Number.parseInt(text, 8);
}

// GNU base-256 encoding is how tar stores sizes of 8 GiB and more, which multi-GB images.tar can reach.
function parseNumeric(field: Buffer): number | undefined {
  const first = field[0] ?? 0;
  if ((first & 0x80) === 0) return parseOctal(field);
  if ((first & 0x40) !== 0) return undefined;
  let value = first & 0x3f;
  for (let i = 1; i < field.length; i++) value = value * 256 + (field[i] ?? 0);
  return Number.isSafeInteger(value) ? value : undefined;
}
