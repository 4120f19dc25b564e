import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ArchiveServer } from '../../../coordinator/data-plane/index.js';
import { Bundle } from '../../../shared/bundle/index.js';
import { wholeArchivePieces } from '../../../shared/data-plane/index.js';
import { collectBytes } from '../../helpers/byte-streams.js';
import { writeSampleBundle } from '../../helpers/fixtures/index.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { collectPieces, eventually } from '../../shared/data-plane/served-archive.js';

describe('coordinator data plane', () => {
  it(
    "serves a bundle's images.tar in pieces straight from the bundle file to an agent",
    { timeout: 30_000 },
    async () => {
      const dir = makeTempDir('airlift-bundle-serving');
      const server = new ArchiveServer();
      let bundle: Bundle | undefined;
      try {
        bundle = await Bundle.open((await writeSampleBundle(dir.path, { layerBytes: 300 * 1024 })).path);
        const expected = await collectBytes(bundle.openImagesStream());
        const hex = createHash('sha256').update(expected).digest('hex');
        const pieceSize = 64 * 1024;
        server.registerPieces(hex, wholeArchivePieces(bundle.imagesSource(), pieceSize), {
          kind: 'anyone',
        });
        const address = await server.start();
        const outcome = await collectPieces(address, { archiveId: hex, node: 'worker-1', runId: 'run-1' });
        assert.equal(outcome.error, undefined);
        assert.deepEqual(
          outcome.pieces.map((p) => p.index),
          [...Array(Math.ceil(expected.length / pieceSize)).keys()],
        );
        assert.ok(
          Buffer.concat(outcome.pieces.map((p) => p.data)).equals(expected),
          'the agent receives images.tar byte for byte',
        );
        await eventually(
          () => server.stats().nodes['worker-1']?.completed === 1,
          'the server to count the fetch completed',
        );
        assert.equal(server.stats().nodes['worker-1']?.bytes, expected.length);
      } finally {
        await server.stop();
        await bundle?.close();
        await dir.remove();
      }
    },
  );
});
