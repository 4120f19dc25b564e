import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { PieceShelf } from '../../../agent/daemon/piece-shelf.js';
import { receivePieces } from '../../../agent/data-plane/index.js';
import { ArchiveServer, wholeArchivePieces } from '../../../shared/data-plane/index.js';
import { ErrorCode, SpoolWriteError } from '../../../shared/errors/index.js';
import { silentLogger } from '../../../shared/logging/index.js';
import { buildPieceManifest, type PieceManifest } from '../../../shared/pieces/index.js';
import { BufferByteSource } from '../../../shared/tar/index.js';
import { mountTmpfs, type Tmpfs } from '../../helpers/tmpfs.js';

const PIECE = 256 * 1024;
// Three times the spool: the disk fills up a third of the way in.
const PAYLOAD = randomBytes(12 * 1024 * 1024);
const logger = silentLogger();

describe(
  'a full spool disk fails the job at once as the node`s own problem, not a source`s',
  { timeout: 60_000 },
  () => {
    let spool: Tmpfs;
    let origin: ArchiveServer;
    let address: string;
    let manifest: PieceManifest;
    let id: string;
    const registered = new Set<string>();

    before(async () => {
      spool = await mountTmpfs({ sizeMiB: 4, prefix: 'airlift-spool-full' });
      const source = new BufferByteSource(PAYLOAD, 'images.tar');
      manifest = await buildPieceManifest(source, PIECE);
      id = manifest.sha256.slice('sha256:'.length);
      origin = new ArchiveServer({ logger });
      address = await origin.start();
      origin.registerPieces(id, wholeArchivePieces(source, PIECE), { kind: 'anyone' });
    });
    after(async () => {
      await origin.stop();
      await spool.remove();
    });

    it('ENOSPC names node and spool path with what to do, never switches source, and the partial spool can be removed', async () => {
      const shelf = new PieceShelf(
        spool.path,
        {
          registerPieces: (archiveId) => registered.add(archiveId),
          unregister: (archiveId) => registered.delete(archiveId),
        },
        logger,
      );
      const store = await shelf.open(manifest);
      const started = Date.now();
      const err = await receivePieces({
        archiveId: id,
        stripes: [[{ address, name: 'coordinator' }]],
        node: 'node-full',
        runId: 'r1',
        target: store,
        signal: AbortSignal.timeout(30_000),
        stallMs: 2_000,
        logger,
      }).then(
        () => assert.fail('the receive should fail: the spool is 4 MiB, the archive 12 MiB'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof SpoolWriteError, String(err));
      assert.equal(err.code, ErrorCode.SpoolDiskFull);
      assert.equal(err.errno, 'ENOSPC');
      assert.match(err.message, /node node-full: the spool disk is full/);
      assert.ok(err.message.includes(store.path), err.message);
      assert.match(err.message, /--spool-dir/);
      assert.doesNotMatch(err.message, /no source delivered/);
      assert.ok(Date.now() - started < 10_000, 'failed at once, not after rounds of source switches');
      assert.ok(spool.usedBytes() > 3 * 1024 * 1024, 'the disk really was full');
      // What load-images-job does after a disk-full failure (the spool rule).
      await shelf.discard(store);
      assert.equal(existsSync(store.path), false);
      assert.ok(spool.usedBytes() < 512 * 1024, `spool still holds ${spool.usedBytes()} bytes`);
      assert.equal(registered.has(id), false, 'no longer offered to peers');
    });
  },
);
