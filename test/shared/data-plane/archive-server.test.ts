import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  ArchiveServer,
  createArchiveClient,
  pingArchiveServer,
  type FetchPiecesRequest,
  type PieceSource,
  type Piece__Output,
} from '../../../shared/data-plane/index.js';
import { DataPlaneListenError, ErrorCode } from '../../../shared/errors/index.js';
import { AIRLIFT_VERSION } from '../../../shared/version.js';
import { assertAirliftError, rejectionOf } from '../../helpers/airlift-error-assertions.js';
import { eventually, serveArchive, within } from './served-archive.js';

const TIMEOUT = { timeout: 20_000 };
const KiB = 1024;
const MiB = 1 << 20;
const ANYONE = { kind: 'anyone' } as const;

interface PiecesOutcome {
  readonly pieces: Piece__Output[];
  readonly error: ServiceError | undefined;
}

/** Runs one raw FetchPieces to the end and keeps every message and the final error, if any. */
async function rawFetchPieces(address: string, request: FetchPiecesRequest): Promise<PiecesOutcome> {
  const client = createArchiveClient(address);
  try {
    const outcome = new Promise<PiecesOutcome>((resolve) => {
      const pieces: Piece__Output[] = [];
      const call = client.FetchPieces(request);
      call.on('data', (piece: Piece__Output) => pieces.push(piece));
      call.on('error', (error: ServiceError) => {
        resolve({ pieces, error });
      });
      call.on('end', () => {
        resolve({ pieces, error: undefined });
      });
    });
    return await within(outcome, `FetchPieces of ${request.archiveId ?? ''}`);
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
        const one: PieceSource = { pieceCount: 1, piece: () => Promise.resolve(Buffer.from('x')) };
        server.registerPieces('a'.repeat(64), one, ANYONE);
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
    'streams pieces of a file range in index order from from_piece, every stride-th when asked',
    TIMEOUT,
    async () => {
      const served = await serveArchive(randomBytes(5 * MiB + 123), {}, ANYONE, 256 * KiB);
      const { payload, pieceSize } = served;
      const count = Math.ceil(payload.length / pieceSize);
      try {
        const whole = await rawFetchPieces(served.address, { archiveId: served.id, node: 'n1', runId: 'r1' });
        assert.equal(whole.error, undefined);
        assert.deepEqual(
          whole.pieces.map((p) => p.index),
          [...Array(count).keys()],
        );
        assert.deepEqual(Buffer.concat(whole.pieces.map((p) => p.data)), payload);

        const tail = await rawFetchPieces(served.address, { archiveId: served.id, fromPiece: count - 2 });
        assert.equal(tail.error, undefined);
        assert.deepEqual(
          tail.pieces.map((p) => p.index),
          [count - 2, count - 1],
        );
        assert.deepEqual(
          Buffer.concat(tail.pieces.map((p) => p.data)),
          payload.subarray((count - 2) * pieceSize),
        );

        const stripe = await rawFetchPieces(served.address, {
          archiveId: served.id,
          fromPiece: 1,
          stride: 2,
        });
        assert.equal(stripe.error, undefined);
        assert.deepEqual(
          stripe.pieces.map((p) => p.index),
          [...Array(count).keys()].filter((i) => i % 2 === 1),
        );
        assert.deepEqual(stripe.pieces[0]?.data, payload.subarray(pieceSize, 2 * pieceSize));

        const stats = served.server.stats();
        assert.equal(stats.activeFetches, 0);
        assert.equal(stats.nodes.n1?.bytes, payload.length);
        assert.equal(stats.nodes.n1.completed, 1);
        assert.equal(stats.nodes['(anonymous)']?.fetches, 2);
      } finally {
        await served.close();
      }
    },
  );

  it(
    'answers NOT_FOUND naming an unknown id, OUT_OF_RANGE past the last piece, INVALID_ARGUMENT for a bad id',
    TIMEOUT,
    async () => {
      const served = await serveArchive(randomBytes(4096), {}, ANYONE, 16 * KiB);
      try {
        const unknown = 'f'.repeat(64);
        const missing = await rawFetchPieces(served.address, { archiveId: unknown });
        assert.equal(missing.error?.code, GrpcStatus.NOT_FOUND);
        assert.match(missing.error.details, new RegExp(unknown));

        const past = await rawFetchPieces(served.address, { archiveId: served.id, fromPiece: 1 });
        assert.equal(past.error?.code, GrpcStatus.OUT_OF_RANGE);
        assert.match(past.error.details, /last piece \(0\)/);

        const bad = await rawFetchPieces(served.address, { archiveId: '../etc/passwd' });
        assert.equal(bad.error?.code, GrpcStatus.INVALID_ARGUMENT);
        assert.deepEqual(served.server.stats().nodes, {}, 'refused requests stream nothing');
      } finally {
        await served.close();
      }
    },
  );

  it('answers INTERNAL, naming the piece, when a piece cannot be read', TIMEOUT, async () => {
    const server = new ArchiveServer();
    try {
      const failing: PieceSource = {
        pieceCount: 3,
        piece: (index) =>
          index === 0 ? Promise.resolve(Buffer.alloc(10)) : Promise.reject(new Error('EIO: disk gone')),
      };
      server.registerPieces('1'.repeat(64), failing, ANYONE);
      const address = await server.start();
      const outcome = await rawFetchPieces(address, { archiveId: '1'.repeat(64), node: 'n1' });
      assert.equal(outcome.error?.code, GrpcStatus.INTERNAL);
      assert.match(outcome.error.details, /piece 1 .*EIO: disk gone/);
      assert.equal(server.stats().nodes.n1?.failed, 1);
    } finally {
      await server.stop();
    }
  });

  it('unregister() makes an archive NOT_FOUND for new fetches', TIMEOUT, async () => {
    const served = await serveArchive(randomBytes(1000));
    try {
      assert.equal(served.server.unregister(served.id), true);
      assert.equal(served.server.unregister(served.id), false);
      const outcome = await rawFetchPieces(served.address, { archiveId: served.id });
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
      const call = client.FetchPieces({ archiveId: served.id, node: 'stalled' });
      const failed = new Promise<ServiceError>((resolve) => call.on('error', resolve));
      // Pause once flowing: grpc-js queues messages without limit on a call that was never read.
      await within(
        new Promise<void>((resolve) => {
          call.once('data', () => {
            call.pause();
            resolve();
          });
        }),
        'the first piece',
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
