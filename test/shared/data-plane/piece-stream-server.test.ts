import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { Metadata } from '@grpc/grpc-js';
import { PIECE_STREAM_ALPN } from '../../../shared/data-plane/archive-wire.js';
import type { PieceStreamTicket__Output } from '../../../shared/data-plane/generated/airlift/data/v1/PieceStreamTicket.js';
import {
  ArchiveServer,
  createArchiveClient,
  DATA_PLANE_SERVER_NAME,
  pingArchiveServer,
  wholeArchivePieces,
  type DataPlaneTls,
} from '../../../shared/data-plane/index.js';
import { BufferByteSource } from '../../../shared/tar/index.js';
import { makeTestFleetCa, type TestFleetCa } from './fleet-certs.js';
import { eventually, within } from './served-archive.js';

const PIECE = 64 * 1024;
const PAYLOAD = randomBytes(PIECE * 5 + 1234);
const PIECE_COUNT = 6;
const ID = 'd'.repeat(64);

/** TLS material a raw client dials with: maybe no certificate at all. */
interface RawTls {
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
}

/** What a raw piece-stream connection saw before the server closed it. */
interface RawOutcome {
  /** Whether the TLS handshake completed from the client's side. */
  readonly secure: boolean;
  readonly received: Buffer;
  readonly error: Error | undefined;
  /** From the handshake to the close (from the dial when the handshake never completed). */
  readonly openMs: number;
}

/**
 * Dials the piece stream at 127.0.0.1:`port` with `as`, trusting any fleet server, writes `send` (if
 * any) once the handshake completes, and keeps everything the server sends until it closes the
 * connection. Fails after `timeoutMs`: every case here expects the server to close.
 */
function rawStream(
  port: number,
  as: RawTls,
  send: Buffer | undefined,
  timeoutMs = 4000,
): Promise<RawOutcome> {
  const socket = tlsConnect({
    host: '127.0.0.1',
    port,
    ca: as.ca,
    ...(as.cert === undefined ? {} : { cert: as.cert }),
    ...(as.key === undefined ? {} : { key: as.key }),
    servername: DATA_PLANE_SERVER_NAME,
    ALPNProtocols: [PIECE_STREAM_ALPN],
    checkServerIdentity: () => undefined,
  });
  let started = Date.now();
  let secure = false;
  let error: Error | undefined;
  const chunks: Buffer[] = [];
  const closed = new Promise<RawOutcome>((resolve) => {
    socket.once('secureConnect', () => {
      secure = true;
      started = Date.now();
      if (send !== undefined) socket.write(send);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err) => {
      error ??= err;
    });
    socket.once('close', () => {
      resolve({ secure, received: Buffer.concat(chunks), error, openMs: Date.now() - started });
    });
  });
  return within(closed, `the server to close the piece stream on port ${port}`, timeoutMs).finally(() => {
    socket.destroy();
  });
}

/** The piece frames in `bytes`, which must end exactly with the end frame (index 0xffffffff, no bytes). */
function parseFrames(bytes: Buffer): { index: number; data: Buffer }[] {
  const frames: { index: number; data: Buffer }[] = [];
  const end = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
  assert.deepEqual(bytes.subarray(-8), end, 'the stream ends with its end frame');
  bytes = bytes.subarray(0, -8);
  let at = 0;
  while (at < bytes.length) {
    assert.ok(at + 8 <= bytes.length, `a whole header at byte ${at}`);
    const index = bytes.readUInt32BE(at);
    const length = bytes.readUInt32BE(at + 4);
    assert.ok(at + 8 + length <= bytes.length, `the whole body of piece ${index}`);
    frames.push({ index, data: bytes.subarray(at + 8, at + 8 + length) });
    at += 8 + length;
  }
  return frames;
}

describe('piece stream under attack (raw sockets, mutual TLS)', { timeout: 60_000 }, () => {
  let fleet: TestFleetCa;
  let server: ArchiveServer;
  let address: string;
  let streamPort: number;
  let node1: DataPlaneTls;
  let node2: DataPlaneTls;

  /** A live ticket, from a real OpenPieceStream call made with `as`'s certificate. */
  async function ticketFor(as: DataPlaneTls, node: string): Promise<Buffer> {
    const client = createArchiveClient(address, { tls: as, expectedPeer: 'coordinator' });
    try {
      const reply = await within(
        new Promise<PieceStreamTicket__Output>((resolve, reject) => {
          client.openPieceStream(
            { archiveId: ID, node, runId: 'r1' },
            new Metadata(),
            { deadline: Date.now() + 5000 },
            (err, answer) => {
              if (err !== null) reject(err);
              else if (answer === undefined) reject(new Error('empty OpenPieceStream reply'));
              else resolve(answer);
            },
          );
        }),
        'OpenPieceStream',
      );
      assert.equal(reply.port, streamPort, 'the ticket names the piece stream port');
      assert.equal(reply.ticket.length, 32);
      return reply.ticket;
    } finally {
      client.close();
    }
  }

  before(async () => {
    fleet = await makeTestFleetCa();
    node1 = await fleet.tls('node-1');
    node2 = await fleet.tls('node-2');
    server = new ArchiveServer({ tls: await fleet.tls('coordinator') });
    server.registerPieces(ID, wholeArchivePieces(new BufferByteSource(PAYLOAD, 'images.tar'), PIECE), {
      kind: 'nodes',
      names: new Set(['node-1']),
    });
    address = await server.start();
    streamPort = (await pingArchiveServer(address, { tls: node1, expectedPeer: 'coordinator' }))
      .pieceStreamPort;
    assert.ok(streamPort > 0);
  });
  after(async () => {
    await server.stop();
  });

  it('sends nothing over a connection whose ticket is random, and closes it', async () => {
    const outcome = await rawStream(streamPort, node1, randomBytes(32));
    assert.equal(outcome.secure, true, 'the handshake succeeded: the refusal is the ticket');
    assert.equal(outcome.received.length, 0);
    assert.ok(outcome.openMs < 3000, `closed at once, not after the ticket wait (${outcome.openMs} ms)`);
  });

  it("sends nothing for node-1's live ticket redeemed with node-2's certificate, and spends it", async () => {
    const ticket = await ticketFor(node1, 'node-1');
    const stolen = await rawStream(streamPort, node2, ticket);
    assert.equal(stolen.secure, true);
    assert.equal(stolen.received.length, 0);
    // A stolen ticket gets one try: the owner cannot use it after the thief did.
    const spent = await rawStream(streamPort, node1, ticket);
    assert.equal(spent.received.length, 0);
  });

  it('honours a ticket once only', async () => {
    const ticket = await ticketFor(node1, 'node-1');
    const first = await rawStream(streamPort, node1, ticket);
    assert.equal(parseFrames(first.received).length, PIECE_COUNT, 'the first connection gets the pieces');
    const second = await rawStream(streamPort, node1, ticket);
    assert.equal(second.secure, true);
    assert.equal(second.received.length, 0, 'the second connection gets nothing');
  });

  it('sends nothing for a live ticket followed by more bytes', async () => {
    const ticket = await ticketFor(node1, 'node-1');
    const outcome = await rawStream(streamPort, node1, Buffer.concat([ticket, Buffer.from([0])]));
    assert.equal(outcome.secure, true);
    assert.equal(outcome.received.length, 0);
  });

  it('closes a connection that sends no ticket after its wait', { timeout: 10_000 }, async () => {
    const outcome = await rawStream(streamPort, node1, undefined, 7500);
    assert.equal(outcome.secure, true);
    assert.equal(outcome.received.length, 0);
    assert.ok(outcome.openMs >= 4000, `closed by the server's ticket wait, after ${outcome.openMs} ms`);
  });

  it('fails the TLS handshake of a client without a certificate, and drops one from another CA', async () => {
    const ticket = await ticketFor(node1, 'node-1');
    const noCert = await rawStream(streamPort, { ca: fleet.caPem }, ticket);
    assert.ok(noCert.error !== undefined, 'the connection fails');
    assert.match(noCert.error.message, /certificate required/i);
    assert.equal(noCert.received.length, 0);

    // Another fleet's certificate naming node-1: Node's TLS server verifies it after the handshake and
    // drops the connection (no alert), before the piece stream reads anything from it.
    const refusedBefore = server.stats().refused['agent node-1'] ?? 0;
    const foreign = await (await makeTestFleetCa('other-fleet')).tls('node-1');
    const impostor = await rawStream(
      streamPort,
      { ca: fleet.caPem, cert: foreign.cert, key: foreign.key },
      ticket,
    );
    assert.equal(impostor.received.length, 0);
    assert.ok(impostor.openMs < 3000, `dropped at once, not after the ticket wait (${impostor.openMs} ms)`);
    assert.equal(
      server.stats().refused['agent node-1'] ?? 0,
      refusedBefore,
      'the piece stream never saw it: no ticket was refused',
    );

    // The handshake refused them before any ticket was read: node-1's ticket is still good.
    const owner = await rawStream(streamPort, node1, ticket);
    assert.equal(parseFrames(owner.received).length, PIECE_COUNT);
  });

  it('sends every piece byte-exact, in frames, to the identity the ticket was issued to', async () => {
    const completedBefore = server.stats().nodes['node-1']?.completed ?? 0;
    const ticket = await ticketFor(node1, 'node-1');
    const outcome = await rawStream(streamPort, node1, ticket);
    assert.equal(outcome.error, undefined, String(outcome.error));
    const frames = parseFrames(outcome.received);
    assert.deepEqual(
      frames.map((f) => f.index),
      [...Array(PIECE_COUNT).keys()],
    );
    for (const { index, data } of frames) {
      assert.ok(
        data.equals(PAYLOAD.subarray(index * PIECE, (index + 1) * PIECE)),
        `piece ${index} is byte-exact`,
      );
    }
    assert.deepEqual(Buffer.concat(frames.map((f) => f.data)), PAYLOAD);
    await eventually(
      () => server.stats().nodes['node-1']?.completed === completedBefore + 1,
      'the server to count the fetch completed',
    );
  });

  it('counts every refused connection in stats().refused, by the identity that made it', async () => {
    const before = server.stats();
    const node2Before = before.refused['agent node-2'] ?? 0;
    const node1Before = before.refused['agent node-1'] ?? 0;
    await rawStream(streamPort, node2, randomBytes(32));
    const stolen = await ticketFor(node1, 'node-1');
    await rawStream(streamPort, node2, stolen);
    const spent = await rawStream(streamPort, node1, stolen);
    assert.equal(spent.received.length, 0);
    await eventually(
      () => server.stats().refused['agent node-1'] === node1Before + 1,
      "node-1's refusal to be counted",
    );
    const after = server.stats();
    assert.equal(after.refused['agent node-2'], node2Before + 2);
    assert.equal(after.refused['agent node-1'], node1Before + 1);
    assert.equal(after.nodes['node-2'], undefined, 'node-2 was streamed nothing');
  });
});
