import { BundleMalformedError, BundleTruncatedError } from '../errors/index.js';
import type { ByteSource } from './byte-source.js';
import { entryTypeOf, type TarEntry } from './tar-entry.js';
import {
  BLOCK_SIZE,
  isZeroBlock,
  parseHeaderBlock,
  parsePaxRecords,
  TarHeaderProblem,
} from './tar-header.js';

/** Limits the size of metadata records we are willing to buffer (PAX, GNU long names). */
const MAX_META_RECORD = 1 << 20;

/**
 * Lists every entry of a tar archive by reading only its header blocks, so a multi-GB
 * images.tar is indexed in milliseconds; data is never read here.
 */
export async function indexTar(source: ByteSource): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  let offset = 0;
  let pending: { path?: string; linkpath?: string; size?: number } = {};
  let pendingStart: number | undefined;
  for (;;) {
    const block = await source.read(offset, BLOCK_SIZE);
    const lastName = entries.at(-1)?.name;
    if (block.length < BLOCK_SIZE) {
      throw new BundleTruncatedError(
        source.label,
        lastName,
        block.length === 0 && offset === source.size
          ? `the archive ends at byte ${offset} without its end-of-archive marker`
          : `header at byte ${offset} is cut short`,
      );
    }
    if (isZeroBlock(block)) break;
    const header = parseHeaderBlock(block);
    if (header instanceof TarHeaderProblem) {
      throw new BundleMalformedError(
        source.label,
        lastName,
        `bad tar header at byte ${offset}: ${header.detail}`,
      );
    }
    const dataOffset = offset + BLOCK_SIZE;
    const padded = Math.ceil(header.size / BLOCK_SIZE) * BLOCK_SIZE;
    if (dataOffset + header.size > source.size) {
      throw new BundleTruncatedError(
        source.label,
        header.name,
        `the entry declares ${header.size} bytes but only ${Math.max(0, source.size - dataOffset)} remain`,
      );
    }
    pendingStart ??= offset;
    const flag = header.typeflag;
    if (flag === 'x' || flag === 'L' || flag === 'K' || flag === 'g') {
      if (header.size > MAX_META_RECORD) {
        throw new BundleMalformedError(
          source.label,
          header.name,
          `metadata record of ${header.size} bytes is too large`,
        );
      }
      const data = await source.read(dataOffset, header.size);
      if (flag === 'x') pending = { ...pending, ...paxOverrides(source.label, header.name, data) };
      else if (flag === 'L') pending = { ...pending, path: cStringOf(data) };
      else if (flag === 'K') pending = { ...pending, linkpath: cStringOf(data) };
      // 'g' (global PAX) carries defaults such as mtime that nothing here uses.
      offset = dataOffset + padded;
      continue;
    }
    const size = pending.size ?? header.size;
    if (size !== header.size && dataOffset + size > source.size) {
      throw new BundleTruncatedError(
        source.label,
        header.name,
        `the entry's PAX size of ${size} bytes runs past the end`,
      );
    }
    const linkname = pending.linkpath ?? header.linkname;
    entries.push({
      name: pending.path ?? header.name,
      type: entryTypeOf(flag),
      size,
      dataOffset,
      headerOffset: pendingStart,
      typeflag: flag,
      ...(linkname === '' ? {} : { linkname }),
    });
    offset = dataOffset + Math.ceil(size / BLOCK_SIZE) * BLOCK_SIZE;
    pending = {};
    pendingStart = undefined;
  }
  return entries;
}

function paxOverrides(
  label: string,
  entry: string,
  data: Buffer,
): { path?: string; linkpath?: string; size?: number } {
  const records = parsePaxRecords(data);
  if (records instanceof TarHeaderProblem) throw new BundleMalformedError(label, entry, records.detail);
  const out: { path?: string; linkpath?: string; size?: number } = {};
  const path = records.get('path');
  const linkpath = records.get('linkpath');
  const size = records.get('size');
  if (path !== undefined) out.path = path;
  if (linkpath !== undefined) out.linkpath = linkpath;
  if (size !== undefined) {
    const n = Number(size);
    if (!Number.isSafeInteger(n) || n < 0)
      throw new BundleMalformedError(label, entry, `PAX size ${size} is not valid`);
    out.size = n;
  }
  return out;
}

function cStringOf(data: Buffer): string {
  const end = data.indexOf(0);
  return data.toString('utf8', 0, end < 0 ? data.length : end);
}
