import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import { randomBytes } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  ArchiveServer,
  fetchPieces,
  pingArchiveServer,
  type FramedPiece,
  type PieceSource,
} from '../../../shared/data-plane/index.js';
import { DataPlaneListenError, ErrorCode } from '../../../shared/errors/index.js';
import { AIRLIFT_VERSION } from '../../../shared/version.js';
import { assertAirliftError, rejectionOf } from '../../helpers/airlift-error-assertions.js';
import { capturedLogger } from '../bus/bus-test-kit.js';
import { assertServiceError, collectPieces, eventually, serveArchive, within } from './served-archive.js';

const TIMEOUT = { timeout: 20_000 };
const KiB = 1024;
const MiB = 1 << 20;
const ANYONE = { kind: 'anyone' } as const;

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return within(
    new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        resolve(false);
      });
    }),
    `a connection to port ${port}`,
  );
}

/** A loopback TCP server holding a port, so that the ArchiveServer cannot bind it. */
async function blockPort(): Promise<{ readonly port: number; close(): Promise<void> }> {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  return {
    port: (blocker.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        blocker.close(() => {
          resolve();
        });
      }),
  };
}

describe('ArchiveServer', () => {
  it(
    'binds a free loopback port and answers Ping with version, clock, archive count and piece stream port',
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
        const grpcPort = Number(address.split(':')[1]);
        assert.ok(reply.pieceStreamPort > 0, `piece stream port ${reply.pieceStreamPort}`);
        assert.notEqual(reply.pieceStreamPort, grpcPort, 'the piece stream is a listener of its own');
        assert.equal(await accepts(reply.pieceStreamPort), true, 'the piece stream listens');
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
        const whole = await collectPieces(served.address, { archiveId: served.id, node: 'n1', runId: 'r1' });
        assert.equal(whole.error, undefined);
        assert.deepEqual(
          whole.pieces.map((p) => p.index),
          [...Array(count).keys()],
        );
        assert.deepEqual(Buffer.concat(whole.pieces.map((p) => p.data)), payload);

        const tail = await collectPieces(served.address, { archiveId: served.id, fromPiece: count - 2 });
        assert.equal(tail.error, undefined);
        assert.deepEqual(
          tail.pieces.map((p) => p.index),
          [count - 2, count - 1],
        );
        assert.deepEqual(
          Buffer.concat(tail.pieces.map((p) => p.data)),
          payload.subarray((count - 2) * pieceSize),
        );

        const stripe = await collectPieces(served.address, {
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

        await eventually(
          () => served.server.stats().activeFetches === 0,
          'the server to see every stream end',
        );
        const stats = served.server.stats();
        assert.equal(stats.nodes.n1?.bytes, payload.length);
        assert.equal(stats.nodes.n1.completed, 1);
        assert.equal(stats.nodes['(anonymous)']?.fetches, 2);
        assert.equal(stats.nodes['(anonymous)'].completed, 2);
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
        const missing = await collectPieces(served.address, { archiveId: unknown });
        assert.equal(missing.pieces.length, 0);
        const notFound = assertServiceError(missing.error, GrpcStatus.NOT_FOUND);
        assert.match(notFound.details, new RegExp(unknown));
        assert.match(notFound.message, new RegExp(unknown), 'the message carries the details');

        const past = await collectPieces(served.address, { archiveId: served.id, fromPiece: 1 });
        assert.equal(past.pieces.length, 0);
        assert.match(assertServiceError(past.error, GrpcStatus.OUT_OF_RANGE).details, /last piece \(0\)/);

        const bad = await collectPieces(served.address, { archiveId: '../etc/passwd' });
        assert.equal(bad.pieces.length, 0);
        assertServiceError(bad.error, GrpcStatus.INVALID_ARGUMENT);
        assert.deepEqual(served.server.stats().nodes, {}, 'refused requests stream nothing');
      } finally {
        await served.close();
      }
    },
  );

  it('drops the stream, logging the piece, when a piece cannot be read', TIMEOUT, async () => {
    const { logger, text } = capturedLogger();
    const server = new ArchiveServer({ logger });
    try {
      const failing: PieceSource = {
        pieceCount: 3,
        piece: (index) =>
          index === 0 ? Promise.resolve(Buffer.alloc(10, 7)) : Promise.reject(new Error('EIO: disk gone')),
      };
      server.registerPieces('1'.repeat(64), failing, ANYONE);
      const address = await server.start();
      const outcome = await collectPieces(address, { archiveId: '1'.repeat(64), node: 'n1' });
      // The receiver gets the pieces before the failure, then an error: the stream stopped before
      // its end frame, so it moves to another source.
      assert.deepEqual(
        outcome.pieces.map((p) => p.index),
        [0],
        `pieces before the failed read only (error: ${String(outcome.error)})`,
      );
      assert.match(String(outcome.error), /stopped before its end frame/);
      assert.deepEqual(outcome.pieces[0]?.data, Buffer.alloc(10, 7));
      await eventually(() => server.stats().nodes.n1?.failed === 1, 'the fetch to count as failed');
      const failure = text()
        .split('\n')
        .find((line) => line.includes('reading a piece failed'));
      assert.ok(failure !== undefined, text());
      assert.match(failure, /"index":1\b/);
      assert.match(failure, /EIO: disk gone/);
    } finally {
      await server.stop();
    }
  });

  it('unregister() makes an archive NOT_FOUND for new fetches', TIMEOUT, async () => {
    const served = await serveArchive(randomBytes(1000));
    try {
      assert.equal(served.server.unregister(served.id), true);
      assert.equal(served.server.unregister(served.id), false);
      const outcome = await collectPieces(served.address, { archiveId: served.id });
      assertServiceError(outcome.error, GrpcStatus.NOT_FOUND);
      assert.equal(outcome.pieces.length, 0);
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
    const { pieceStreamPort } = await pingArchiveServer(address, { timeoutMs: 2000 });
    await Promise.all([server.stop(), server.stop()]);
    await server.stop();
    await assert.rejects(pingArchiveServer(address, { timeoutMs: 2000 }));
    assert.equal(await accepts(pieceStreamPort), false, 'the piece stream stopped listening too');
  });

  it('stop() cuts off a fetch stalled by its client after the grace period', TIMEOUT, async () => {
    const served = await serveArchive(randomBytes(64 * MiB), { shutdownGraceMs: 200 });
    const pieceCount = Math.ceil(served.payload.length / served.pieceSize);
    const stop = new AbortController();
    const pieces = fetchPieces(
      served.address,
      { archiveId: served.id, node: 'stalled' },
      { signal: stop.signal },
    );
    try {
      // Take one piece, then read no more: the socket's buffers fill and the server waits for drain.
      const first = await within(pieces.next(), 'the first piece');
      if (first.done === true) assert.fail('the stream ended before its first piece');
      await eventually(
        () => served.server.stats().activeFetches === 1,
        'the server to be streaming the fetch',
      );
      const started = Date.now();
      await served.server.stop();
      assert.ok(Date.now() - started < 5000, 'stop() is bounded by the grace period');
      await eventually(() => served.server.stats().activeFetches === 0, 'the fetch to be cut off');
      // Reading again, the client gets what was already on its way, then the stream ends short or breaks.
      const received: FramedPiece[] = [first.value];
      let broke: unknown;
      try {
        for (;;) {
          const next = await within(pieces.next(), 'the cut-off stream to end');
          if (next.done === true) break;
          received.push(next.value);
        }
      } catch (err) {
        broke = err;
      }
      assert.ok(
        received.length < pieceCount,
        `the stream was cut off: ${received.length} of ${pieceCount} pieces (${String(broke)})`,
      );
      const stalled = served.server.stats().nodes.stalled;
      assert.equal(stalled?.cancelled, 1);
      assert.equal(stalled.completed, 0);
      assert.ok(stalled.bytes < 64 * MiB, `served ${stalled.bytes} bytes`);
    } finally {
      stop.abort(new Error('test over'));
      await pieces.return(undefined).catch(() => undefined);
      await served.close();
    }
  });

  it('reports a port already in use as DataPlaneListenError', TIMEOUT, async () => {
    const blocker = await blockPort();
    const server = new ArchiveServer({ address: `127.0.0.1:${String(blocker.port)}` });
    try {
      const err = await rejectionOf(server.start());
      assertAirliftError(err, DataPlaneListenError, ErrorCode.DataPlaneListenFailed, ['127.0.0.1:']);
    } finally {
      await server.stop();
      await blocker.close();
    }
  });

  it(
    'reports a piece stream port already in use as DataPlaneListenError naming it, and stops gRPC',
    TIMEOUT,
    async () => {
      const blocker = await blockPort();
      const streamAddress = `127.0.0.1:${String(blocker.port)}`;
      const server = new ArchiveServer({ streamAddress });
      try {
        const err = await rejectionOf(server.start());
        assertAirliftError(err, DataPlaneListenError, ErrorCode.DataPlaneListenFailed, [streamAddress]);
        const grpcAddress = server.address;
        assert.ok(grpcAddress !== undefined, 'gRPC had bound before the piece stream failed');
        await assert.rejects(pingArchiveServer(grpcAddress, { timeoutMs: 2000 }));
      } finally {
        await server.stop();
        await blocker.close();
      }
    },
  );
});
