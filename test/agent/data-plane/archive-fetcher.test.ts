import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fetchArchive, type FetchArchiveOptions } from '../../../agent/data-plane/index.js';
import { ArchiveFetchError, ArchiveIntegrityError, ErrorCode } from '../../../shared/errors/index.js';
import { assertAirliftError } from '../../helpers/airlift-error-assertions.js';
import {
  eventually,
  serveArchive,
  within,
  type ServedArchive,
} from '../../shared/data-plane/served-archive.js';
import { consume, digestOf } from './fetch-consumers.js';

const TIMEOUT = { timeout: 30_000 };
const MiB = 1 << 20;

function optionsFor(served: ServedArchive, extra: Partial<FetchArchiveOptions> = {}): FetchArchiveOptions {
  return {
    address: served.address,
    archiveId: served.id,
    size: served.payload.length,
    sha256: served.sha256,
    node: 'node-1',
    runId: 'run-1',
    ...extra,
  };
}

describe('fetchArchive', () => {
  it('streams a served file range in order, checks the digest and reports progress', TIMEOUT, async () => {
    const served = await serveArchive(randomBytes(9 * MiB + 4321));
    try {
      const progress: number[] = [];
      const stream = fetchArchive(optionsFor(served, { onProgress: (done) => progress.push(done) }));
      const { bytes, error } = await within(consume(stream), 'the fetch');
      assert.equal(error, undefined);
      assert.ok(bytes.equals(served.payload), 'bytes equal the payload');
      assert.deepEqual(
        progress,
        [...progress].sort((a, b) => a - b),
        'progress never goes backwards',
      );
      assert.equal(progress.at(-1), served.payload.length);
      await eventually(() => served.server.stats().activeFetches === 0, 'the server to finish');
      assert.equal(served.server.stats().nodes['node-1']?.bytes, served.payload.length);
      assert.equal(served.server.stats().nodes['node-1']?.completed, 1);
    } finally {
      await served.close();
    }
  });

  it('fetches from an offset, reporting progress as the position in the archive', TIMEOUT, async () => {
    const served = await serveArchive(randomBytes(3 * MiB + 7));
    try {
      const offset = MiB + 12345;
      const progress: number[] = [];
      const stream = fetchArchive(optionsFor(served, { offset, onProgress: (done) => progress.push(done) }));
      const { bytes, error } = await within(consume(stream), 'the fetch');
      assert.equal(error, undefined);
      assert.ok(bytes.equals(served.payload.subarray(offset)));
      assert.ok((progress[0] ?? 0) > offset);
      assert.equal(progress.at(-1), served.payload.length);
      assert.equal(served.server.stats().bytesServed, served.payload.length - offset);

      const atEnd = await within(
        consume(fetchArchive(optionsFor(served, { offset: served.payload.length }))),
        'empty',
      );
      assert.equal(atEnd.error, undefined);
      assert.equal(atEnd.bytes.length, 0);
    } finally {
      await served.close();
    }
  });

  it(
    'fails with ArchiveIntegrityError naming archive and address, before the last chunk, on a wrong digest',
    TIMEOUT,
    async () => {
      const served = await serveArchive(randomBytes(2 * MiB));
      try {
        const wrong = digestOf(Buffer.from('something else'));
        const { bytes, error } = await within(
          consume(fetchArchive(optionsFor(served, { sha256: wrong }))),
          'the fetch',
        );
        // The last chunk is withheld, so the consumer never saw the archive's end.
        assert.ok(bytes.length < served.payload.length, `the consumer got ${bytes.length} bytes`);
        const err = assertAirliftError(error, ArchiveIntegrityError, ErrorCode.ArchiveIntegrityFailed, [
          served.id,
          served.address,
          wrong.slice('sha256:'.length),
        ]);
        assert.equal(err.context.node, 'node-1');
      } finally {
        await served.close();
      }
    },
  );

  it('fails with ArchiveFetchError NOT_FOUND naming an unknown id', TIMEOUT, async () => {
    const served = await serveArchive(randomBytes(1000));
    try {
      const unknown = 'e'.repeat(64);
      const { error } = await within(
        consume(fetchArchive(optionsFor(served, { archiveId: unknown }))),
        'fetch',
      );
      const err = assertAirliftError(error, ArchiveFetchError, ErrorCode.ArchiveFetchFailed, [
        'NOT_FOUND',
        unknown,
        served.address,
      ]);
      assert.equal(err.status, 'NOT_FOUND');
    } finally {
      await served.close();
    }
  });

  it('fails with OUT_OF_RANGE when the job announces more bytes than the server holds', TIMEOUT, async () => {
    const served = await serveArchive(randomBytes(1000));
    try {
      const { error } = await within(consume(fetchArchive(optionsFor(served, { size: 2000 }))), 'fetch');
      assertAirliftError(error, ArchiveFetchError, ErrorCode.ArchiveFetchFailed, ['OUT_OF_RANGE']);
    } finally {
      await served.close();
    }
  });

  it(
    'fails with ArchiveFetchError UNAVAILABLE when nothing listens, INVALID_ARGUMENT for no address',
    TIMEOUT,
    async () => {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const { port } = probe.address() as { port: number };
      await new Promise<void>((resolve) => {
        probe.close(() => {
          resolve();
        });
      });
      const address = `127.0.0.1:${String(port)}`;
      const options = (at: string): FetchArchiveOptions => ({
        address: at,
        archiveId: 'a'.repeat(64),
        size: 10,
        sha256: `sha256:${'a'.repeat(64)}`,
        node: 'node-1',
        runId: 'run-1',
      });
      const stream = fetchArchive(options(address));
      const { error } = await within(consume(stream), 'the fetch to fail');
      assertAirliftError(error, ArchiveFetchError, ErrorCode.ArchiveFetchFailed, ['UNAVAILABLE', address]);

      const unparsable = fetchArchive({ ...options(address), address: '' });
      const { error: invalid } = await within(consume(unparsable), 'the fetch to fail');
      assertAirliftError(invalid, ArchiveFetchError, ErrorCode.ArchiveFetchFailed, ['INVALID_ARGUMENT']);
    },
  );

  it('fails with ArchiveFetchError when the server stops mid-transfer', TIMEOUT, async () => {
    const served = await serveArchive(randomBytes(64 * MiB), { shutdownGraceMs: 100 });
    try {
      let stopping: Promise<void> | undefined;
      const stream = fetchArchive(optionsFor(served));
      const { bytes, error } = await within(
        consume(stream, {
          delayMs: 5,
          onChunk: (received) => {
            if (received >= 4 * MiB) stopping ??= served.server.stop();
          },
        }),
        'the fetch to fail',
      );
      await stopping;
      assert.ok(bytes.length < served.payload.length, `got ${bytes.length} bytes`);
      assertAirliftError(error, ArchiveFetchError, ErrorCode.ArchiveFetchFailed, [served.id, served.address]);
    } finally {
      await served.close();
    }
  });

  it(
    'abort cancels the call: the stream errors with the reason and the server stops reading',
    TIMEOUT,
    async () => {
      const served = await serveArchive(randomBytes(64 * MiB));
      try {
        const controller = new AbortController();
        const stream = fetchArchive(
          optionsFor(served, {
            signal: controller.signal,
            onProgress: (done) => {
              if (done >= 4 * MiB) controller.abort();
            },
          }),
        );
        const { error } = await within(consume(stream, { delayMs: 2 }), 'the aborted fetch to end');
        assert.ok(error instanceof Error && error.name === 'AbortError', String(error));
        await eventually(() => served.server.stats().activeFetches === 0, 'the server to notice');
        const stats = served.server.stats().nodes['node-1'];
        assert.equal(stats?.cancelled, 1);
        assert.ok(stats.bytes < served.payload.length, `served ${stats.bytes} of ${served.payload.length}`);

        const already = AbortSignal.abort();
        const { error: early } = await within(
          consume(fetchArchive(optionsFor(served, { signal: already }))),
          'x',
        );
        assert.equal(early, already.reason);
      } finally {
        await served.close();
      }
    },
  );

  it('a consumer that gives up early cancels the call on the server', TIMEOUT, async () => {
    const served = await serveArchive(randomBytes(64 * MiB));
    try {
      const stream = fetchArchive(optionsFor(served));
      await within(
        new Promise<void>((resolve) => {
          stream.once('data', () => {
            stream.destroy();
            resolve();
          });
        }),
        'the first chunk',
      );
      await eventually(() => served.server.stats().activeFetches === 0, 'the server to notice');
      assert.equal(served.server.stats().nodes['node-1']?.cancelled, 1);
    } finally {
      await served.close();
    }
  });

  it('holds back a slow consumer: its buffer stays bounded and the server waits', TIMEOUT, async () => {
    const served = await serveArchive(randomBytes(64 * MiB));
    try {
      let maxBuffered = 0;
      let maxLead = 0;
      const stream = fetchArchive(
        optionsFor(served, {
          onProgress: () => {
            maxBuffered = Math.max(maxBuffered, stream.readableLength);
          },
        }),
      );
      const { bytes, error } = await within(
        consume(stream, {
          delayMs: 5,
          onChunk: (received) => {
            maxBuffered = Math.max(maxBuffered, stream.readableLength);
            maxLead = Math.max(maxLead, served.server.stats().bytesServed - received);
          },
        }),
        'the slow fetch',
        20_000,
      );
      assert.equal(error, undefined);
      assert.ok(bytes.equals(served.payload));
      assert.ok(maxBuffered <= 6 * MiB, `the fetcher buffered up to ${maxBuffered} bytes`);
      // Without back-pressure loopback would deliver all 64 MiB while the consumer takes its first chunks.
      assert.ok(maxLead <= 32 * MiB, `the server ran ${maxLead} bytes ahead of the consumer`);
    } finally {
      await served.close();
    }
  });
});
