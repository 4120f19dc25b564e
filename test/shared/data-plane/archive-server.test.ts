import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  ArchiveServer,
  createArchiveClient,
  pingArchiveServer,
  type ArchiveChunk__Output,
  type FetchRequest,
} from '../../../shared/data-plane/index.js';
import { DataPlaneListenError, ErrorCode } from '../../../shared/errors/index.js';
import { BufferByteSource, FileByteSource, type ByteSource } from '../../../shared/tar/index.js';
import { AIRLIFT_VERSION } from '../../../shared/version.js';
import { assertAirliftError, rejectionOf } from '../../helpers/airlift-error-assertions.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { eventually, serveArchive, within } from './served-archive.js';

const TIMEOUT = { timeout: 20_000 };
const MiB = 1 << 20;
const ANYONE = { kind: 'anyone' } as const;

interface FetchOutcome {
  readonly chunks: ArchiveChunk__Output[];
  readonly error: ServiceError | undefined;
}

/** Runs one raw Fetch to the end and keeps every message and the final error, if any. */
async function rawFetch(address: string, request: FetchRequest): Promise<FetchOutcome> {
  const client = createArchiveClient(address);
  try {
    const outcome = new Promise<FetchOutcome>((resolve) => {
      const chunks: ArchiveChunk__Output[] = [];
      const call = client.fetch(request);
      call.on('data', (chunk: ArchiveChunk__Output) => chunks.push(chunk));
      call.on('error', (error: ServiceError) => {
        resolve({ chunks, error });
      });
      call.on('end', () => {
        resolve({ chunks, error: undefined });
      });
    });
    return await within(outcome, `Fetch of ${request.archiveId ?? ''}`);
  } finally {
    client.close();
  }
}

describe('ArchiveServer', () => {
  it(
    'binds a free loopback port and answers Ping with version, clock and archive count',
    TIMEOUT,
    async () => {
      const server = new ArchiveServer();
      try {
        const address = await server.start();
        assert.match(address, /^127\.0\.0\.1:\d+$/);
        assert.equal(server.address, address);
        assert.equal(await server.start(), address, 'start() twice returns the same address');
        server.register('a'.repeat(64), new BufferByteSource(Buffer.from('x'), 'mem'), ANYONE);
        const before = Date.now();
        const reply = await pingArchiveServer(address, { node: 'node-1' });
        assert.equal(reply.version, AIRLIFT_VERSION);
        assert.ok(reply.timeUnixMs >= before && reply.timeUnixMs <= Date.now(), String(reply.timeUnixMs));
        assert.equal(reply.archiveCount, 1);
      } finally {
        await server.stop();
      }
    },
  );

  it(
    'streams a file range in ordered chunks of at most chunkBytes, to the end when length is 0',
    TIMEOUT,
    async () => {
      const served = await serveArchive(randomBytes(5 * MiB + 123), { chunkBytes: 256 * 1024 });
      try {
        const whole = await rawFetch(served.address, { archiveId: served.id, node: 'n1', runId: 'r1' });
        assert.equal(whole.error, undefined);
        let expected = 0;
        for (const chunk of whole.chunks) {
          assert.equal(chunk.offset, expected);
          assert.ok(chunk.data.length > 0 && chunk.data.length <= 256 * 1024, String(chunk.data.length));
          expected += chunk.data.length;
        }
        assert.deepEqual(Buffer.concat(whole.chunks.map((c) => c.data)), served.payload);

        const part = await rawFetch(served.address, { archiveId: served.id, offset: 1000, length: 3 * MiB });
        assert.equal(part.error, undefined);
        assert.equal(part.chunks[0]?.offset, 1000);
        assert.deepEqual(
          Buffer.concat(part.chunks.map((c) => c.data)),
          served.payload.subarray(1000, 1000 + 3 * MiB),
        );

        const atEnd = await rawFetch(served.address, { archiveId: served.id, offset: served.payload.length });
        assert.equal(atEnd.error, undefined);
        assert.equal(atEnd.chunks.length, 0);

        const stats = served.server.stats();
        assert.equal(stats.activeFetches, 0);
        assert.equal(stats.nodes.n1?.bytes, served.payload.length);
        assert.equal(stats.nodes.n1.completed, 1);
        assert.equal(stats.nodes['(anonymous)']?.fetches, 2);
        assert.equal(stats.bytesServed, served.payload.length + 3 * MiB);
      } finally {
        await served.close();
      }
    },
  );

  it(
    'answers NOT_FOUND naming an unknown id, OUT_OF_RANGE past the end, INVALID_ARGUMENT for a bad id',
    TIMEOUT,
    async () => {
      const served = await serveArchive(randomBytes(4096));
      try {
        const unknown = 'f'.repeat(64);
        const missing = await rawFetch(served.address, { archiveId: unknown });
        assert.equal(missing.error?.code, GrpcStatus.NOT_FOUND);
        assert.match(missing.error.details, new RegExp(unknown));

        const past = await rawFetch(served.address, { archiveId: served.id, offset: 4097 });
        assert.equal(past.error?.code, GrpcStatus.OUT_OF_RANGE);
        assert.match(past.error.details, /4096 bytes/);
        const tooLong = await rawFetch(served.address, { archiveId: served.id, offset: 10, length: 4096 });
        assert.equal(tooLong.error?.code, GrpcStatus.OUT_OF_RANGE);

        const bad = await rawFetch(served.address, { archiveId: '../etc/passwd' });
        assert.equal(bad.error?.code, GrpcStatus.INVALID_ARGUMENT);
        assert.deepEqual(served.server.stats().nodes, {}, 'refused requests stream nothing');
      } finally {
        await served.close();
      }
    },
  );

  it(
    'answers INTERNAL when the file cannot be read and DATA_LOSS when a source ends early',
    TIMEOUT,
    async () => {
      const dir = makeTempDir('airlift-archive-server');
      const server = new ArchiveServer();
      let file: FileByteSource | undefined;
      try {
        const path = join(dir.path, 'gone.bundle.tar');
        await writeFile(path, randomBytes(4096));
        file = await FileByteSource.open(path);
        server.register('1'.repeat(64), file, ANYONE);
        await unlink(path);
        const short: ByteSource = {
          label: 'short',
          size: 4096,
          read: () => Promise.resolve(Buffer.alloc(0)),
          stream: () => Readable.from([Buffer.alloc(1000)]),
          slice: () => short,
        };
        server.register('2'.repeat(64), short, ANYONE);
        const address = await server.start();

        const unreadable = await rawFetch(address, { archiveId: '1'.repeat(64), node: 'n1' });
        assert.equal(unreadable.error?.code, GrpcStatus.INTERNAL);
        assert.match(unreadable.error.details, /ENOENT/);
        const truncated = await rawFetch(address, { archiveId: '2'.repeat(64), node: 'n1' });
        assert.equal(truncated.error?.code, GrpcStatus.DATA_LOSS);
        assert.match(truncated.error.details, /ended at byte 1000/);
        assert.equal(server.stats().nodes.n1?.failed, 2);
      } finally {
        await server.stop();
        await file?.close();
        await dir.remove();
      }
    },
  );

  it('unregister() makes an archive NOT_FOUND for new fetches', TIMEOUT, async () => {
    const served = await serveArchive(randomBytes(1000));
    try {
      assert.equal(served.server.unregister(served.id), true);
      assert.equal(served.server.unregister(served.id), false);
      const outcome = await rawFetch(served.address, { archiveId: served.id });
      assert.equal(outcome.error?.code, GrpcStatus.NOT_FOUND);
    } finally {
      await served.close();
    }
  });

  it('stop() is idempotent, works before start(), and start() after stop() rejects', TIMEOUT, async () => {
    const never = new ArchiveServer();
    await never.stop();
    await never.stop();
    await assert.rejects(never.start(), /after stop/);

    const server = new ArchiveServer();
    const address = await server.start();
    await Promise.all([server.stop(), server.stop()]);
    await server.stop();
    await assert.rejects(pingArchiveServer(address, { timeoutMs: 2000 }));
  });

  it('stop() cuts off a fetch stalled by its client after the grace period', TIMEOUT, async () => {
    const served = await serveArchive(randomBytes(64 * MiB), { shutdownGraceMs: 200 });
    const client = createArchiveClient(served.address);
    try {
      const call = client.fetch({ archiveId: served.id, node: 'stalled' });
      const failed = new Promise<ServiceError>((resolve) => call.on('error', resolve));
      // Pause once flowing: grpc-js queues messages without limit on a call that was never read.
      await within(
        new Promise<void>((resolve) => {
          call.once('data', () => {
            call.pause();
            resolve();
          });
        }),
        'the first chunk',
      );
      const started = Date.now();
      await served.server.stop();
      assert.ok(Date.now() - started < 5000, 'stop() is bounded by the grace period');
      call.resume();
      const error = await within(failed, 'the client to see the call cut off');
      assert.notEqual(error.code, GrpcStatus.OK);
      await eventually(() => served.server.stats().activeFetches === 0, 'the fetch to be cut off');
      const stalled = served.server.stats().nodes.stalled;
      assert.equal(stalled?.cancelled, 1);
      assert.ok(stalled.bytes < 64 * MiB, `served ${stalled.bytes} bytes`);
    } finally {
      client.close();
      await served.close();
    }
  });

  it('reports a port already in use as DataPlaneListenError', TIMEOUT, async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const server = new ArchiveServer({
      address: `127.0.0.1:${String((blocker.address() as { port: number }).port)}`,
    });
    try {
      const err = await rejectionOf(server.start());
      assertAirliftError(err, DataPlaneListenError, ErrorCode.DataPlaneListenFailed, ['127.0.0.1:']);
    } finally {
      await server.stop();
      await new Promise<void>((resolve) => {
        blocker.close(() => {
          resolve();
        });
      });
    }
  });
});
