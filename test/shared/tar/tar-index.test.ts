import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BundleMalformedError, BundleTruncatedError, ErrorCode } from '../../../shared/errors/index.js';
import { BufferByteSource, checkEntryPath, indexTar, type TarEntry } from '../../../shared/tar/index.js';
import { seededBytes, tarBuffer, type TarMember } from '../../helpers/fixtures/index.js';
import { expectAirliftRejection } from '../../helpers/airlift-error-assertions.js';
import {
  base256Field,
  BLOCK,
  END_OF_ARCHIVE,
  headerBlock,
  memberBytes,
  padToBlock,
  paxData,
} from '../../helpers/tar-blocks.js';

function index(archive: Buffer, label = 'test.tar'): Promise<TarEntry[]> {
  return indexTar(new BufferByteSource(archive, label));
}

function dataOf(archive: Buffer, entry: TarEntry): Buffer {
  return archive.subarray(entry.dataOffset, entry.dataOffset + entry.size);
}

describe('indexTar: members written by tar-stream', () => {
  const members: TarMember[] = [
    { name: 'hints.yaml', data: Buffer.from('- "{{ .image }}"\n') },
    { name: 'original-chart/', type: 'directory' },
    { name: 'original-chart/empty.txt', data: Buffer.alloc(0) },
    { name: 'original-chart/block.bin', data: seededBytes('block', 512) },
    { name: 'original-chart/odd.bin', data: seededBytes('odd', 1537) },
    { name: 'original-chart/link', type: 'symlink', linkname: '../hints.yaml' },
    { name: 'original-chart/hard', type: 'link', linkname: 'hints.yaml' },
    { name: 'images.tar', data: seededBytes('images', 4000) },
  ];

  it('lists every member in order with its type, size and link target', async () => {
    const archive = await tarBuffer(members);
    const entries = await index(archive);
    assert.deepEqual(
      entries.map((e) => [e.name, e.type, e.size, e.linkname]),
      [
        ['hints.yaml', 'file', members[0]!.data!.length, undefined],
        ['original-chart/', 'directory', 0, undefined],
        ['original-chart/empty.txt', 'file', 0, undefined],
        ['original-chart/block.bin', 'file', 512, undefined],
        ['original-chart/odd.bin', 'file', 1537, undefined],
        ['original-chart/link', 'symlink', 0, '../hints.yaml'],
        ['original-chart/hard', 'hardlink', 0, 'hints.yaml'],
        ['images.tar', 'file', 4000, undefined],
      ],
    );
  });

  it('locates each member: its data range holds exactly its bytes, right after its header', async () => {
    const archive = await tarBuffer(members);
    const entries = await index(archive);
    for (const [i, entry] of entries.entries()) {
      const member = members[i]!;
      assert.deepEqual(dataOf(archive, entry), member.data ?? Buffer.alloc(0), entry.name);
      assert.equal(entry.dataOffset, entry.headerOffset + BLOCK, entry.name);
      assert.equal(entry.headerOffset % BLOCK, 0, entry.name);
    }
  });

  it('reads names split into the ustar prefix field', async () => {
    const name = `${'d'.repeat(60)}/${'e'.repeat(60)}/chart-values.yaml`;
    assert.ok(Buffer.byteLength(name) > 100 && Buffer.byteLength(name) < 255);
    const archive = await tarBuffer([{ name, data: Buffer.from('x: 1\n') }]);
    // tar-stream splits it: no PAX header, the single header block holds prefix + name.
    assert.notEqual(archive[156], 'x'.charCodeAt(0));
    const [entry] = await index(archive);
    assert.equal(entry?.name, name);
    assert.equal(entry.headerOffset, 0);
    assert.equal(dataOf(archive, entry).toString(), 'x: 1\n');
  });

  it('applies PAX path records for names over 100 bytes that cannot be split', async () => {
    const name = `original-chart/templates/${'very-long-template-name-'.repeat(6)}.yaml`;
    const archive = await tarBuffer([
      { name: 'first', data: Buffer.from('1') },
      { name, data: Buffer.from('long') },
    ]);
    const entries = await index(archive);
    const entry = entries[1];
    assert.equal(entry?.name, name);
    // The entry starts at the PAX header ('x'), which precedes the real header.
    assert.equal(String.fromCharCode(archive[entry.headerOffset + 156]!), 'x');
    assert.ok(entry.dataOffset > entry.headerOffset + BLOCK);
    assert.equal(dataOf(archive, entry).toString(), 'long');
  });

  it('applies PAX records for non-ASCII names and long link targets', async () => {
    const target = `${'t'.repeat(120)}/target`;
    const archive = await tarBuffer([
      { name: 'charts/数据.yaml', data: Buffer.from('ü') },
      { name: 'l', type: 'symlink', linkname: target },
    ]);
    const [utf8, link] = await index(archive);
    assert.equal(utf8?.name, 'charts/数据.yaml');
    assert.equal(dataOf(archive, utf8).toString(), 'ü');
    assert.equal(link?.linkname, target);
  });

  it('keeps names as stored, "./" included: normalising is checkEntryPath\'s job', async () => {
    const archive = await tarBuffer([
      { name: './', type: 'directory' },
      { name: './hints.yaml', data: Buffer.from('[]') },
    ]);
    const entries = await index(archive);
    assert.deepEqual(
      entries.map((e) => e.name),
      ['./', './hints.yaml'],
    );
    assert.deepEqual(checkEntryPath(entries[1]!.name), { path: 'hints.yaml' });
  });

  it('returns no entries for an archive that is only the end marker', async () => {
    assert.deepEqual(await index(END_OF_ARCHIVE), []);
  });

  it('stops at the end marker and ignores what follows it', async () => {
    const archive = await tarBuffer([{ name: 'a', data: Buffer.from('a') }]);
    const entries = await index(Buffer.concat([archive, seededBytes('garbage', 3000)]));
    assert.deepEqual(
      entries.map((e) => e.name),
      ['a'],
    );
  });
});

describe('indexTar: hand-made headers', () => {
  it('reads a GNU base-256 size field', async () => {
    const data = seededBytes('base256', 1000);
    const archive = Buffer.concat([
      headerBlock({ name: 'big.bin', sizeField: base256Field(1000n), magic: 'gnu' }),
      padToBlock(data),
      END_OF_ARCHIVE,
    ]);
    const [entry] = await index(archive);
    assert.equal(entry?.size, 1000);
    assert.deepEqual(dataOf(archive, entry), data);
  });

  it('decodes a base-256 size beyond the octal field (10 GiB) and reports it as missing data', async () => {
    const size = 10n * 1024n ** 3n;
    const archive = Buffer.concat([
      headerBlock({ name: 'images.tar', sizeField: base256Field(size), magic: 'gnu' }),
      END_OF_ARCHIVE,
    ]);
    await expectAirliftRejection(index(archive), BundleTruncatedError, ErrorCode.BundleTruncated, [
      'images.tar',
      `declares ${size} bytes`,
    ]);
  });

  it('refuses a negative base-256 size', async () => {
    const field = base256Field(5n);
    field[0] = 0xff;
    const archive = Buffer.concat([headerBlock({ name: 'neg', sizeField: field }), END_OF_ARCHIVE]);
    await expectAirliftRejection(index(archive), BundleMalformedError, ErrorCode.BundleMalformed, [
      'byte 0',
      'size field',
    ]);
  });

  it('joins the ustar prefix field, but not in GNU headers, where those bytes are atime/ctime', async () => {
    const archive = Buffer.concat([
      memberBytes({ name: 'values.yaml', prefix: 'original-chart', magic: 'ustar' }, Buffer.from('a')),
      memberBytes({ name: 'd/f', prefix: '15301277103\x0015301277103', magic: 'gnu' }, Buffer.from('b')),
      END_OF_ARCHIVE,
    ]);
    const entries = await index(archive);
    assert.deepEqual(
      entries.map((e) => e.name),
      ['original-chart/values.yaml', 'd/f'],
    );
  });

  it('applies GNU long-name (L) and long-link (K) records', async () => {
    const longName = `${'n'.repeat(150)}/file.txt`;
    const longLink = 'k'.repeat(130);
    const archive = Buffer.concat([
      memberBytes({ name: '././@LongLink', typeflag: 'L', magic: 'gnu' }, Buffer.from(`${longName}\0`)),
      memberBytes({ name: longName.slice(0, 100), magic: 'gnu' }, Buffer.from('content')),
      memberBytes({ name: '././@LongLink', typeflag: 'K', magic: 'gnu' }, Buffer.from(`${longLink}\0`)),
      memberBytes({ name: 'sym', typeflag: '2', linkname: longLink.slice(0, 100), magic: 'gnu' }),
      END_OF_ARCHIVE,
    ]);
    const entries = await index(archive);
    assert.deepEqual(
      entries.map((e) => [e.name, e.type, e.linkname, e.headerOffset]),
      [
        [longName, 'file', undefined, 0],
        ['sym', 'symlink', longLink, 4 * BLOCK],
      ],
    );
    assert.equal(dataOf(archive, entries[0]!).toString(), 'content');
  });

  it('lets a PAX size record override the header size', async () => {
    const data = seededBytes('pax-size', 700);
    const archive = Buffer.concat([
      memberBytes({ name: 'PaxHeaders/x', typeflag: 'x' }, paxData({ size: '700', path: 'real-name' })),
      headerBlock({ name: 'x', size: 0 }),
      padToBlock(data),
      END_OF_ARCHIVE,
    ]);
    const [entry] = await index(archive);
    assert.equal(entry?.name, 'real-name');
    assert.equal(entry.size, 700);
    assert.deepEqual(dataOf(archive, entry), data);
  });

  it('ignores a global PAX header (g) without renaming the next member', async () => {
    const archive = Buffer.concat([
      memberBytes(
        { name: 'pax_global_header', typeflag: 'g' },
        paxData({ comment: 'abc', path: 'not-this' }),
      ),
      memberBytes({ name: 'kept' }, Buffer.from('k')),
      END_OF_ARCHIVE,
    ]);
    const entries = await index(archive);
    assert.deepEqual(
      entries.map((e) => e.name),
      ['kept'],
    );
  });

  it('maps typeflags: 0, NUL and 7 are files; 5 directories; devices and FIFOs "other"', async () => {
    const archive = Buffer.concat([
      memberBytes({ name: 'zero', typeflag: '0' }),
      memberBytes({ name: 'nul', typeflag: '\0' }),
      memberBytes({ name: 'contig', typeflag: '7' }),
      memberBytes({ name: 'dir/', typeflag: '5' }),
      memberBytes({ name: 'chr', typeflag: '3' }),
      memberBytes({ name: 'fifo', typeflag: '6' }),
      END_OF_ARCHIVE,
    ]);
    const entries = await index(archive);
    assert.deepEqual(
      entries.map((e) => [e.name, e.type, e.typeflag]),
      [
        ['zero', 'file', '0'],
        ['nul', 'file', '\0'],
        ['contig', 'file', '7'],
        ['dir/', 'directory', '5'],
        ['chr', 'other', '3'],
        ['fifo', 'other', '6'],
      ],
    );
  });

  it('refuses a malformed PAX record, naming the entry', async () => {
    const archive = Buffer.concat([
      memberBytes({ name: 'PaxHeaders/bad', typeflag: 'x' }, Buffer.from('99 path=x\n')),
      memberBytes({ name: 'bad' }),
      END_OF_ARCHIVE,
    ]);
    await expectAirliftRejection(index(archive), BundleMalformedError, ErrorCode.BundleMalformed, [
      'PaxHeaders/bad',
      'PAX record length',
    ]);
  });
});
