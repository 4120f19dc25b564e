import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileDigestOnWorker } from '../../../coordinator/upgrade/file-digest.js';
import { buildPieceManifest } from '../../../shared/pieces/index.js';
import { FileByteSource } from '../../../shared/tar/index.js';
import { seededBytes } from '../../helpers/fixtures/index.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

const BYTES = seededBytes('file-digest', 3 * 1024 * 1024 + 77);
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('fileDigestOnWorker', { timeout: 20_000 }, () => {
  const dir = scratchDir('file-digest');

  it("hashes a file's byte range on another thread", async () => {
    const path = join(dir(), 'bundle.tar');
    await writeFile(path, BYTES);
    assert.equal(await fileDigestOnWorker({ path, offset: 0, length: BYTES.length }), sha256(BYTES));
    assert.equal(
      await fileDigestOnWorker({ path, offset: 1000, length: 2_000_000 }),
      sha256(BYTES.subarray(1000, 2_001_000)),
    );
  });

  it('rejects a range the file does not hold, or a missing file', async () => {
    const path = join(dir(), 'short.tar');
    await writeFile(path, BYTES.subarray(0, 100));
    await assert.rejects(fileDigestOnWorker({ path, offset: 50, length: 100 }), /holds 50 of the 100 bytes/);
    await assert.rejects(fileDigestOnWorker({ path: join(dir(), 'absent'), offset: 0, length: 1 }), {
      code: 'ENOENT',
    });
  });

  it('gives up when aborted', async () => {
    const path = join(dir(), 'abort.tar');
    await writeFile(path, BYTES);
    const stop = new AbortController();
    const digest = fileDigestOnWorker({ path, offset: 0, length: BYTES.length }, stop.signal);
    stop.abort(new Error('stopped'));
    await assert.rejects(digest, /stopped/);
  });

  it('gives buildPieceManifest the same manifest as one pass does, for a slice of a file', async () => {
    const path = join(dir(), 'slice.tar');
    await writeFile(path, BYTES);
    const file = await FileByteSource.open(path);
    try {
      const images = file.slice(512, BYTES.length - 1024, 'slice.tar!images.tar');
      assert.deepEqual(images.file, { path, offset: 512, length: BYTES.length - 1024 });
      const range = images.file;
      const onePass = await buildPieceManifest(images, 256 * 1024);
      const parallel = await buildPieceManifest(images, 256 * 1024, undefined, () =>
        fileDigestOnWorker(range),
      );
      assert.deepEqual(parallel, onePass);
      assert.equal(onePass.sha256, `sha256:${sha256(BYTES.subarray(512, BYTES.length - 512))}`);
    } finally {
      await file.close();
    }
  });
});
