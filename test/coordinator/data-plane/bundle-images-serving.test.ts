import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ArchiveServer } from '../../../coordinator/data-plane/index.js';
import { Bundle } from '../../../shared/bundle/index.js';
import {
  createArchiveClient,
  wholeArchivePieces,
  type Piece__Output,
} from '../../../shared/data-plane/index.js';
import { collectBytes } from '../../helpers/byte-streams.js';
import { writeSampleBundle } from '../../helpers/fixtures/index.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { within } from '../../shared/data-plane/served-archive.js';

describe('coordinator data plane', () => {
  it(
    "serves a bundle's images.tar in pieces straight from the bundle file to an agent",
    { timeout: 30_000 },
    async () => {
      const dir = makeTempDir('airlift-bundle-serving');
      const server = new ArchiveServer();
      const client = { close: (): void => undefined };
      let bundle: Bundle | undefined;
      try {
        bundle = await Bundle.open((await writeSampleBundle(dir.path, { layerBytes: 300 * 1024 })).path);
        const expected = await collectBytes(bundle.openImagesStream());
        const hex = createHash('sha256').update(expected).digest('hex');
        server.registerPieces(hex, wholeArchivePieces(bundle.imagesSource(), 64 * 1024), {
          kind: 'anyone',
        });
        const agent = createArchiveClient(await server.start());
        client.close = () => {
          agent.close();
        };
        const call = agent.FetchPieces({ archiveId: hex, node: 'worker-1', runId: 'run-1' });
        const pieces: Buffer[] = [];
        call.on('data', (piece: Piece__Output) => pieces.push(piece.data));
        await within(
          new Promise<void>((resolve, reject) => {
            call.on('end', resolve);
            call.on('error', reject);
          }),
          'the pieces',
        );
        assert.ok(Buffer.concat(pieces).equals(expected), 'the agent receives images.tar byte for byte');
        assert.equal(server.stats().nodes['worker-1']?.bytes, expected.length);
      } finally {
        client.close();
        await server.stop();
        await bundle?.close();
        await dir.remove();
      }
    },
  );
});
