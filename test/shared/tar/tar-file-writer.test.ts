import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { extract } from 'tar-stream';
import { BufferByteSource, indexTar, TAR_TRAILER, tarFileMember } from '../../../shared/tar/index.js';
import { seededBytes } from '../../helpers/fixtures/index.js';
import { bufferStream } from '../../helpers/fixtures/index.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import { GNU_TAR } from '../../helpers/gnu-tar.js';

interface Extracted {
  name: string;
  type: string | null | undefined;
  size: number | null | undefined;
  mode: number | null | undefined;
  data: Buffer;
}

/** Parses an archive with tar-stream, an independent reader. */
async function extractAll(archive: Buffer): Promise<Extracted[]> {
  const out: Extracted[] = [];
  const ex = extract();
  bufferStream(archive).pipe(ex);
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    const { name, type, size, mode } = entry.header;
    out.push({ name, type, size, mode, data: Buffer.concat(chunks) });
  }
  return out;
}

const SIZES = [0, 1, 511, 512, 513, 3000];

describe('tarFileMember', () => {
  it('is one header block plus the data padded to whole blocks', () => {
    for (const size of SIZES) {
      const member = tarFileMember('f', Buffer.alloc(size, 1));
      assert.equal(member.length, 512 + Math.ceil(size / 512) * 512, `size ${size}`);
    }
  });

  it('TAR_TRAILER is two zero blocks', () => {
    assert.equal(TAR_TRAILER.length, 1024);
    assert.ok(TAR_TRAILER.every((byte) => byte === 0));
  });

  it('is read back by indexTar: names, sizes and data', async () => {
    const members = SIZES.map((size) => ({ name: `file-${size}.bin`, data: seededBytes(`w${size}`, size) }));
    const archive = Buffer.concat([...members.map((m) => tarFileMember(m.name, m.data)), TAR_TRAILER]);
    const entries = await indexTar(new BufferByteSource(archive, 'written.tar'));
    assert.deepEqual(
      entries.map((e) => [e.name, e.type, e.size]),
      members.map((m) => [m.name, 'file', m.data.length]),
    );
    for (const [i, entry] of entries.entries()) {
      assert.deepEqual(archive.subarray(entry.dataOffset, entry.dataOffset + entry.size), members[i]!.data);
    }
  });

  it('is read back by tar-stream (which checks the checksum too)', async () => {
    const data = Buffer.from(JSON.stringify([{ Config: 'blobs/sha256/abc', RepoTags: ['r.io/a:1'] }]));
    const archive = Buffer.concat([
      tarFileMember('manifest.json', data),
      tarFileMember('empty', Buffer.alloc(0)),
      TAR_TRAILER,
    ]);
    const entries = await extractAll(archive);
    assert.deepEqual(entries, [
      { name: 'manifest.json', type: 'file', size: data.length, mode: 0o644, data },
      { name: 'empty', type: 'file', size: 0, mode: 0o644, data: Buffer.alloc(0) },
    ]);
  });

  it('takes a name of exactly 100 bytes (no NUL terminator left)', async () => {
    const name = 'n'.repeat(100);
    const archive = Buffer.concat([tarFileMember(name, Buffer.from('x')), TAR_TRAILER]);
    const [entry] = await indexTar(new BufferByteSource(archive, 'x.tar'));
    assert.equal(entry?.name, name);
    const [viaTarStream] = await extractAll(archive);
    assert.equal(viaTarStream?.name, name);
  });

  it('refuses names over 100 bytes, counted in UTF-8', () => {
    assert.throws(() => tarFileMember('n'.repeat(101), Buffer.alloc(0)), RangeError);
    // 34 characters, 102 bytes.
    assert.throws(() => tarFileMember('数'.repeat(34), Buffer.alloc(0)), RangeError);
  });

  describe('read by GNU tar', () => {
    const dir = scratchDir('tar-writer');
    const gnuTar = GNU_TAR;

    it(
      'lists and extracts the member',
      { skip: gnuTar === undefined ? 'GNU tar not installed' : false },
      async () => {
        const data = seededBytes('gnu', 777);
        const path = join(dir(), 'w.tar');
        await writeFile(path, Buffer.concat([tarFileMember('manifest.json', data), TAR_TRAILER]));
        const run = promisify(execFile);
        const list = await run(gnuTar!, ['-tvf', path]);
        assert.match(list.stdout, /^-rw-r--r-- .* 777 .*manifest\.json$/m);
        const out = await run(gnuTar!, ['-xOf', path, 'manifest.json'], { encoding: 'buffer' });
        assert.deepEqual(out.stdout, data);
      },
    );
  });
});
