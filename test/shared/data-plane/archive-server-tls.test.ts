import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  credentials,
  Metadata,
  status as GrpcStatus,
  type ChannelCredentials,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  archiveProto,
  ArchiveServer,
  DATA_PLANE_SERVER_NAME,
  pingArchiveServer,
  wholeArchivePieces,
  type ArchiveServiceClient,
  type DataPlaneTls,
  type FetchPiecesRequest,
} from '../../../shared/data-plane/index.js';
import { BufferByteSource } from '../../../shared/tar/index.js';
import { makeTestFleetCa, type TestFleetCa } from './fleet-certs.js';
import { assertServiceError, collectPieces, eventually, within } from './served-archive.js';

const PIECE = 64 * 1024;
const PAYLOAD = randomBytes(PIECE * 3 + 99);
const ID = 'e'.repeat(64);

const piecesRequest = (node: string): FetchPiecesRequest => ({ archiveId: ID, node, runId: 'r1' });

/** A client with hand-made credentials that accepts any server certificate: the refusal must come from the server. */
function rawClient(address: string, creds: ChannelCredentials): ArchiveServiceClient {
  const { ArchiveService } = archiveProto();
  return new ArchiveService(address, creds, { 'grpc.ssl_target_name_override': DATA_PLANE_SERVER_NAME });
}

/** One OpenPieceStream call with `creds`, bounded in time: the ServiceError it ended with, or its ticket. */
async function openWith(
  address: string,
  creds: ChannelCredentials,
  request: FetchPiecesRequest,
): Promise<{ readonly error: ServiceError | null; readonly ticket: Buffer | undefined }> {
  const client = rawClient(address, creds);
  try {
    return await within(
      new Promise((resolve) => {
        client.openPieceStream(request, new Metadata(), { deadline: Date.now() + 8000 }, (error, reply) => {
          resolve({ error, ticket: reply?.ticket });
        });
      }),
      'OpenPieceStream',
    );
  } finally {
    client.close();
  }
}

describe('ArchiveServer over mutual TLS', { timeout: 60_000 }, () => {
  let fleet: TestFleetCa;
  let server: ArchiveServer;
  let address: string;
  let node1: DataPlaneTls;
  let node2: DataPlaneTls;

  before(async () => {
    fleet = await makeTestFleetCa();
    node1 = await fleet.tls('node-1');
    node2 = await fleet.tls('node-2');
    server = new ArchiveServer({ tls: await fleet.tls('coordinator') });
    const source = new BufferByteSource(PAYLOAD, 'images.tar');
    const access = { kind: 'nodes', names: new Set(['node-1']) } as const;
    server.registerPieces(ID, wholeArchivePieces(source, PIECE), access);
    address = await server.start();
  });
  after(async () => {
    await server.stop();
  });

  it('serves pieces to an allowed node that proves its identity, and answers Ping', async () => {
    const pieces = await collectPieces(address, piecesRequest('node-1'), {
      tls: node1,
      expectedPeer: 'coordinator',
    });
    assert.equal(pieces.error, undefined);
    assert.deepEqual(
      pieces.pieces.map((p) => p.index),
      [0, 1, 2, 3],
    );
    assert.deepEqual(Buffer.concat(pieces.pieces.map((p) => p.data)), PAYLOAD);
    await eventually(() => server.stats().nodes['node-1']?.completed === 1, 'the fetch to complete');
    // Ping is open to any fleet identity, allowed to fetch or not.
    const reply = await pingArchiveServer(address, {
      tls: node2,
      expectedPeer: 'coordinator',
      timeoutMs: 5000,
    });
    assert.equal(reply.archiveCount, 1);
    assert.ok(reply.pieceStreamPort > 0, `piece stream port ${reply.pieceStreamPort}`);
  });

  it('refuses the TLS handshake to a client without a certificate, or with one from another CA', async () => {
    const noCert = await openWith(
      address,
      credentials.createSsl(Buffer.from(fleet.caPem), null, null, {
        checkServerIdentity: () => undefined,
      }),
      piecesRequest('node-1'),
    );
    assert.equal(noCert.error?.code, GrpcStatus.UNAVAILABLE, noCert.error?.details);
    assert.match(noCert.error.details, /certificate required/);
    assert.equal(noCert.ticket, undefined);

    const foreign = await (await makeTestFleetCa('other-fleet')).tls('node-1');
    const impostor = await openWith(
      address,
      credentials.createSsl(Buffer.from(fleet.caPem), Buffer.from(foreign.key), Buffer.from(foreign.cert), {
        checkServerIdentity: () => undefined,
      }),
      piecesRequest('node-1'),
    );
    assert.equal(impostor.error?.code, GrpcStatus.UNAVAILABLE, impostor.error?.details);
    assert.equal(impostor.ticket, undefined);

    // The receiver's own client, with that certificate (trusting this fleet's CA for the server).
    const foreignFetch = await collectPieces(address, piecesRequest('node-1'), {
      tls: { ca: fleet.caPem, cert: foreign.cert, key: foreign.key },
      expectedPeer: 'coordinator',
    });
    assertServiceError(foreignFetch.error, GrpcStatus.UNAVAILABLE);
    assert.equal(foreignFetch.pieces.length, 0);

    const plaintext = await collectPieces(address, piecesRequest('node-1'));
    assertServiceError(plaintext.error, GrpcStatus.UNAVAILABLE);
    assert.equal(plaintext.pieces.length, 0);
    await assert.rejects(pingArchiveServer(address, { timeoutMs: 3000 }));
  });

  it('answers PERMISSION_DENIED to an enrolled node that is not allowed, naming it and the archive', async () => {
    const refusedBefore = server.stats().refused['agent node-2'] ?? 0;
    const pieces = await collectPieces(address, piecesRequest('node-2'), {
      tls: node2,
      expectedPeer: 'coordinator',
    });
    const denied = assertServiceError(pieces.error, GrpcStatus.PERMISSION_DENIED);
    assert.match(denied.details, new RegExp(`agent node-2 .*archive ${ID}`));
    assert.equal(pieces.pieces.length, 0);
    assert.equal(server.stats().refused['agent node-2'], refusedBefore + 1);
    assert.equal(server.stats().nodes['node-2'], undefined, 'a refused call streams nothing');
  });

  it("answers PERMISSION_DENIED to a request naming another node than the certificate's", async () => {
    const pieces = await collectPieces(address, piecesRequest('node-1'), {
      tls: node2,
      expectedPeer: 'coordinator',
    });
    const denied = assertServiceError(pieces.error, GrpcStatus.PERMISSION_DENIED);
    assert.match(denied.details, /agent node-2 .*"node-1"/);
    assert.equal(pieces.pieces.length, 0);
  });

  it('refuses a fleet certificate without an airlift identity, even for Ping', async () => {
    const nats = await fleet.anonymous();
    const pieces = await collectPieces(address, piecesRequest('node-1'), {
      tls: nats,
      expectedPeer: 'coordinator',
    });
    const denied = assertServiceError(pieces.error, GrpcStatus.PERMISSION_DENIED);
    assert.match(denied.details, /without an airlift identity/);
    assert.equal(pieces.pieces.length, 0);
    await assert.rejects(pingArchiveServer(address, { tls: nats, timeoutMs: 5000 }), (err: ServiceError) => {
      assert.equal(err.code, GrpcStatus.PERMISSION_DENIED);
      return true;
    });
  });

  it('the client refuses a server whose certificate names another identity, naming both', async () => {
    await assert.rejects(
      pingArchiveServer(address, { tls: node1, expectedPeer: 'node-3', timeoutMs: 5000 }),
      (err: ServiceError) => {
        assert.equal(err.code, GrpcStatus.UNAVAILABLE);
        assert.match(err.details, /coordinator, not agent node-3/);
        return true;
      },
    );
    const pieces = await collectPieces(address, piecesRequest('node-1'), {
      tls: node1,
      expectedPeer: 'node-3',
    });
    const refused = assertServiceError(pieces.error, GrpcStatus.UNAVAILABLE);
    assert.match(refused.details, /coordinator, not agent node-3/);
    assert.equal(pieces.pieces.length, 0);
  });

  it("refuses to register an archive for 'anyone' on a TLS server", () => {
    const pieces = wholeArchivePieces(new BufferByteSource(PAYLOAD, 'x'), PIECE);
    assert.throws(() => {
      server.registerPieces('f'.repeat(64), pieces, { kind: 'anyone' });
    }, /named nodes only/);
  });
});
