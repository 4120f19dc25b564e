import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { BundleMalformedError, BundleTruncatedError, ErrorCode } from '../../../shared/errors/index.js';
import { BufferByteSource, indexTar, type TarEntry } from '../../../shared/tar/index.js';
import { seededBytes, tarBuffer } from '../../helpers/fixtures/index.js';
import { expectAirliftRejection } from '../../helpers/airlift-error-assertions.js';
import { BLOCK, findHeader, headerBlock, setChecksum, withoutEndMarker } from '../../helpers/tar-blocks.js';

function index(archive: Buffer, label = 'cut.tar'): Promise<TarEntry[]> {
  return indexTar(new BufferByteSource(archive, label));
}

describe('indexTar: truncated archives', async () => {
  const archive = await tarBuffer([
    { name: 'hints.yaml', data: Buffer.from('[]\n') },
    { name: 'images.tar', data: seededBytes('images', 5000) },
  ]);
  const imagesHeader = findHeader(archive, 'images.tar');

  it('an empty file has no end marker', async () => {
    await expectAirliftRejection(index(Buffer.alloc(0)), BundleTruncatedError, ErrorCode.BundleTruncated, [
      'cut.tar',
      'ends at byte 0 without its end-of-archive marker',
    ]);
  });

  it("cut inside an entry's data: names the entry and how much is missing", async () => {
    const cut = imagesHeader + BLOCK + 1234;
    await expectAirliftRejection(
      index(archive.subarray(0, cut)),
      BundleTruncatedError,
      ErrorCode.BundleTruncated,
      ['cut.tar', 'images.tar', 'declares 5000 bytes but only 1234 remain'],
    );
  });

  it('cut inside a header block: names the byte and the entry before it', async () => {
    const cut = imagesHeader + 100;
    const err = await expectAirliftRejection(
      index(archive.subarray(0, cut)),
      BundleTruncatedError,
      ErrorCode.BundleTruncated,
      [`header at byte ${imagesHeader} is cut short`, 'hints.yaml'],
    );
    assert.equal(err.context.entry, 'hints.yaml');
  });

  it('cut right before the end-of-archive blocks', async () => {
    const cut = withoutEndMarker(archive);
    await expectAirliftRejection(index(cut), BundleTruncatedError, ErrorCode.BundleTruncated, [
      `ends at byte ${cut.length} without its end-of-archive marker`,
    ]);
  });

  it('cut inside the data padding of the last entry', async () => {
    const end = imagesHeader + BLOCK + 5000;
    await expectAirliftRejection(
      index(archive.subarray(0, end + 10)),
      BundleTruncatedError,
      ErrorCode.BundleTruncated,
      ['cut short'],
    );
  });

  it('a PAX size that runs past the end', async () => {
    const pax = Buffer.from('16 size=9999999\n');
    const withPax = Buffer.concat([
      headerBlock({ name: 'PaxHeaders/x', typeflag: 'x', size: pax.length }),
      pax,
      Buffer.alloc(BLOCK - pax.length),
      headerBlock({ name: 'x', size: 0 }),
      Buffer.alloc(2 * BLOCK),
    ]);
    await expectAirliftRejection(index(withPax), BundleTruncatedError, ErrorCode.BundleTruncated, [
      'x',
      'PAX size of 9999999 bytes runs past the end',
    ]);
  });
});

describe('indexTar: corrupted headers', async () => {
  const archive = await tarBuffer([
    { name: 'hints.yaml', data: Buffer.from('[]\n') },
    { name: 'original-chart/values.yaml', data: Buffer.from('a: 1\n') },
  ]);
  const valuesHeader = findHeader(archive, 'original-chart/values.yaml');

  it('a flipped byte breaks the checksum: names the header position', async () => {
    const bad = Buffer.from(archive);
    bad[valuesHeader + 3] = bad[valuesHeader + 3]! ^ 0x20;
    await expectAirliftRejection(index(bad), BundleMalformedError, ErrorCode.BundleMalformed, [
      'cut.tar',
      `bad tar header at byte ${valuesHeader}`,
      'checksum mismatch',
    ]);
  });

  it('a checksum field that is not a number', async () => {
    const bad = Buffer.from(archive);
    bad.write('zzzzzz\0 ', valuesHeader + 148, 'latin1');
    await expectAirliftRejection(index(bad), BundleMalformedError, ErrorCode.BundleMalformed, [
      `byte ${valuesHeader}`,
      'checksum field is not a number',
    ]);
  });

  it('a size field that is not octal, with a valid checksum', async () => {
    const bad = Buffer.from(archive);
    bad.write('00000000009\0', valuesHeader + 124, 'latin1');
    setChecksum(bad.subarray(valuesHeader, valuesHeader + BLOCK));
    await expectAirliftRejection(index(bad), BundleMalformedError, ErrorCode.BundleMalformed, [
      `byte ${valuesHeader}`,
      'size field is not a number',
    ]);
  });

  it('random bytes are not a tar file', async () => {
    await expectAirliftRejection(
      index(seededBytes('noise', 4096)),
      BundleMalformedError,
      ErrorCode.BundleMalformed,
      ['bad tar header at byte 0'],
    );
  });

  it('a gzip-compressed tar is not a plain tar', async () => {
    const compressed = gzipSync(await tarBuffer([{ name: 'images.tar', data: seededBytes('gz', 4000) }]));
    assert.ok(compressed.length > BLOCK);
    await expectAirliftRejection(index(compressed), BundleMalformedError, ErrorCode.BundleMalformed, [
      'byte 0',
    ]);
  });
});
