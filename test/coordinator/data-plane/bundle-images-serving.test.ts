import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { fetchArchive } from '../../../agent/data-plane/index.js';
import { ArchiveServer } from '../../../coordinator/data-plane/index.js';
import { Bundle } from '../../../shared/bundle/index.js';
import { collectBytes } from '../../helpers/byte-streams.js';
import { writeSampleBundle } from '../../helpers/fixtures/index.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { within } from '../../shared/data-plane/served-archive.js';
import { consume } from '../../agent/data-plane/fetch-consumers.js';

describe('coordinator data plane', () => {
  it(
    "serves a bundle's images.tar straight from the bundle file to an agent",
    { timeout: 30_000 },
    async () => {
      const dir = makeTempDir('airlift-bundle-serving');
      const server = new ArchiveServer();
      let bundle: Bundle | undefined;
      try {
        bundle = await Bundle.open((await writeSampleBundle(dir.path, { layerBytes: 300 * 1024 })).path);
        const expected = await collectBytes(bundle.openImagesStream());
        const hex = createHash('sha256').update(expected).digest('hex');
        server.register(hex, bundle.imagesSource(), { kind: 'anyone' });
        const address = await server.start();

        const stream = fetchArchive({
          address,
          archiveId: hex,
          size: bundle.info.imagesTar.length,
          sha256: `sha256:${hex}`,
          node: 'worker-1',
          runId: 'run-1',
        });
        const { bytes, error } = await within(consume(stream), 'the fetch');
        assert.equal(error, undefined);
        assert.ok(bytes.equals(expected), 'the agent receives images.tar byte for byte');
        assert.equal(server.stats().nodes['worker-1']?.bytes, expected.length);
      } finally {
        await server.stop();
        await bundle?.close();
        await dir.remove();
      }
    },
  );
});
