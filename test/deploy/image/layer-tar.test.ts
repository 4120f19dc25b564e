import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { extract } from 'tar-stream';
import { writeLayer, type LayerEntry } from '../../../deploy/image/layer-tar.js';
import { buildAgentImage } from '../../../deploy/image/index.js';
import { hasErrorCode } from '../../../shared/errors/index.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

interface Member {
  name: string;
  type: string;
  mode: number;
  mtime: number;
  uid: number;
  size: number;
}

async function members(gz: Buffer): Promise<Member[]> {
  const out: Member[] = [];
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      out.push({
        name: h.name,
        type: h.type,
        mode: h.mode,
        mtime: h.mtime.getTime(),
        uid: h.uid,
        size: h.size,
      });
      stream.on('end', next);
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(gunzipSync(gz));
  await done;
  return out;
}

describe('writeLayer', () => {
  let tmp: TempDir;
  let entries: LayerEntry[];
  before(async () => {
    tmp = makeTempDir('airlift-layer');
    await writeFile(join(tmp.path, 'exe'), 'binary');
    entries = [
      { kind: 'file', path: '/usr/local/bin/airlift', source: join(tmp.path, 'exe'), mode: 0o755 },
      { kind: 'data', path: '/etc/passwd', data: Buffer.from('root:x:0:0::/:/x\n'), mode: 0o644 },
      { kind: 'directory', path: '/tmp', mode: 0o1777 },
      { kind: 'file', path: '/lib64/ld.so', source: join(tmp.path, 'exe'), mode: 0o755 },
    ];
  });
  after(async () => {
    await tmp.remove();
  });

  it('sorts members, adds every parent directory, owner root, mtime 0', async () => {
    const out = join(tmp.path, 'a.tar.gz');
    const blob = await writeLayer(entries, out);
    const gz = await readFile(out);
    const list = await members(gz);
    assert.deepEqual(
      list.map((m) => m.name),
      [
        'etc/',
        'etc/passwd',
        'lib64/',
        'lib64/ld.so',
        'tmp/',
        'usr/',
        'usr/local/',
        'usr/local/bin/',
        'usr/local/bin/airlift',
      ],
    );
    assert.ok(list.every((m) => m.mtime === 0 && m.uid === 0));
    assert.equal(list.find((m) => m.name === 'tmp/')?.mode, 0o1777);
    assert.equal(list.find((m) => m.name === 'usr/local/bin/airlift')?.mode, 0o755);
    assert.equal(blob.size, gz.length);
    assert.equal(blob.digest, `sha256:${createHash('sha256').update(gz).digest('hex')}`);
    assert.equal(blob.diffId, `sha256:${createHash('sha256').update(gunzipSync(gz)).digest('hex')}`);
  });

  it('gives the same bytes for the same entries in any order', async () => {
    const a = await writeLayer(entries, join(tmp.path, 'b.tar.gz'));
    const b = await writeLayer([...entries].reverse(), join(tmp.path, 'c.tar.gz'));
    assert.equal(a.digest, b.digest);
  });
});

describe('buildAgentImage input checks', () => {
  it('refuses an architecture other than this machine (its ldd finds the libraries)', async () => {
    await assert.rejects(
      buildAgentImage({
        executable: process.execPath,
        version: '1',
        outFile: '/nonexistent/x',
        arch: 's390x-other',
      }),
      (err: unknown) => hasErrorCode(err, 'CONFIG_INVALID') && /s390x-other/.test((err as Error).message),
    );
  });

  it('refuses an executable that is not there, naming it', async () => {
    await assert.rejects(
      buildAgentImage({ executable: '/nonexistent/airlift', version: '1', outFile: '/nonexistent/x' }),
      (err: unknown) =>
        hasErrorCode(err, 'CONFIG_INVALID') && /\/nonexistent\/airlift/.test((err as Error).message),
    );
  });
});
