import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { credentials, status as GrpcStatus, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import {
  archiveProto,
  ArchiveServer,
  createArchiveClient,
  DATA_PLANE_SERVER_NAME,
  pingArchiveServer,
  wholeArchivePieces,
  type ArchiveServiceClient,
  type DataPlaneTls,
  type FetchPiecesRequest,
  type Piece__Output,
} from '../../../shared/data-plane/index.js';
import { BufferByteSource } from '../../../shared/tar/index.js';
import { makeTestFleetCa, type TestFleetCa } from './fleet-certs.js';
import { within } from './served-archive.js';

const PIECE = 64 * 1024;
const PAYLOAD = randomBytes(PIECE * 3 + 99);
const ID = 'e'.repeat(64);

interface Outcome {
  readonly bytes: Buffer;
  readonly error: ServiceError | undefined;
}

/** Runs a stream call to its end, keeping its bytes and final error; bounded in time. */
async function drain(stream: NodeJS.ReadableStream, what: string): Promise<Outcome> {
  const parts: Buffer[] = [];
  const done = new Promise<Outcome>((resolve) => {
    stream.on('data', (m: Piece__Output) => parts.push(m.data));
    stream.on('error', (error: ServiceError) => {
      resolve({ bytes: Buffer.concat(parts), error });
    });
    stream.on('end', () => {
      resolve({ bytes: Buffer.concat(parts), error: undefined });
    });
  });
  return within(done, what);
}

async function withClient<T>(
  client: ArchiveServiceClient,
  use: (c: ArchiveServiceClient) => Promise<T>,
): Promise<T> {
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

const piecesRequest = (node: string): FetchPiecesRequest => ({ archiveId: ID, node, runId: 'r1' });

/** A client with hand-made credentials that accepts any server certificate: the refusal must come from the server. */
function rawClient(address: string, creds: ChannelCredentials): ArchiveServiceClient {
  const { ArchiveService } = archiveProto();
  return new ArchiveService(address, creds, { 'grpc.ssl_target_name_override': DATA_PLANE_SERVER_NAME });
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

  const asNode1 = (): ArchiveServiceClient =>
    createArchiveClient(address, { tls: node1, expectedPeer: 'coordinator' });

  it('serves pieces to an allowed node that proves its identity, and answers Ping', async () => {
    const pieces = await withClient(asNode1(), (c) =>
      drain(c.FetchPieces(piecesRequest('node-1')), 'pieces'),
    );
    assert.equal(pieces.error, undefined);
    assert.deepEqual(pieces.bytes, PAYLOAD);
    assert.equal(server.stats().nodes['node-1']?.completed, 1);
    // Ping is open to any fleet identity, allowed to fetch or not.
    const reply = await pingArchiveServer(address, {
      tls: node2,
      expectedPeer: 'coordinator',
      timeoutMs: 5000,
    });
    assert.equal(reply.archiveCount, 1);
  });

  it('refuses the TLS handshake to a client without a certificate, or with one from another CA', async () => {
    const noCert = await withClient(
      rawClient(
        address,
        credentials.createSsl(Buffer.from(fleet.caPem), null, null, {
          checkServerIdentity: () => undefined,
        }),
      ),
      (c) => drain(c.FetchPieces(piecesRequest('node-1')), 'no-cert fetch'),
    );
    assert.equal(noCert.error?.code, GrpcStatus.UNAVAILABLE, noCert.error?.details);
    assert.match(noCert.error.details, /certificate required/);
    assert.equal(noCert.bytes.length, 0);

    const foreign = await (await makeTestFleetCa('other-fleet')).tls('node-1');
    const impostor = await withClient(
      rawClient(
        address,
        credentials.createSsl(Buffer.from(fleet.caPem), Buffer.from(foreign.key), Buffer.from(foreign.cert), {
          checkServerIdentity: () => undefined,
        }),
      ),
      (c) => drain(c.FetchPieces(piecesRequest('node-1')), 'foreign-CA fetch'),
    );
    assert.equal(impostor.error?.code, GrpcStatus.UNAVAILABLE, impostor.error?.details);
    assert.equal(impostor.bytes.length, 0);

    const plaintext = await withClient(createArchiveClient(address), (c) =>
      drain(c.FetchPieces(piecesRequest('node-1')), 'plaintext fetch'),
    );
    assert.equal(plaintext.error?.code, GrpcStatus.UNAVAILABLE, plaintext.error?.details);
    await assert.rejects(pingArchiveServer(address, { timeoutMs: 3000 }));
  });

  it('answers PERMISSION_DENIED to an enrolled node that is not allowed, naming it and the archive', async () => {
    const refusedBefore = server.stats().refused['agent node-2'] ?? 0;
    const client = (): ArchiveServiceClient =>
      createArchiveClient(address, { tls: node2, expectedPeer: 'coordinator' });
    const pieces = await withClient(client(), (c) => drain(c.FetchPieces(piecesRequest('node-2')), 'pieces'));
    assert.equal(pieces.error?.code, GrpcStatus.PERMISSION_DENIED);
    assert.match(pieces.error.details, new RegExp(`agent node-2 .*archive ${ID}`));
    assert.equal(pieces.bytes.length, 0);
    assert.equal(server.stats().refused['agent node-2'], refusedBefore + 1);
    assert.equal(server.stats().nodes['node-2'], undefined, 'a refused call streams nothing');
  });

  it("answers PERMISSION_DENIED to a request naming another node than the certificate's", async () => {
    const client = (): ArchiveServiceClient =>
      createArchiveClient(address, { tls: node2, expectedPeer: 'coordinator' });
    const pieces = await withClient(client(), (c) => drain(c.FetchPieces(piecesRequest('node-1')), 'pieces'));
    assert.equal(pieces.error?.code, GrpcStatus.PERMISSION_DENIED);
    assert.match(pieces.error.details, /agent node-2 .*"node-1"/);
    assert.equal(pieces.bytes.length, 0);
  });

  it('refuses a fleet certificate without an airlift identity, even for Ping', async () => {
    const nats = await fleet.anonymous();
    const pieces = await withClient(
      createArchiveClient(address, { tls: nats, expectedPeer: 'coordinator' }),
      (c) => drain(c.FetchPieces(piecesRequest('node-1')), 'pieces'),
    );
    assert.equal(pieces.error?.code, GrpcStatus.PERMISSION_DENIED);
    assert.match(pieces.error.details, /without an airlift identity/);
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
  });

  it("refuses to register an archive for 'anyone' on a TLS server", () => {
    const pieces = wholeArchivePieces(new BufferByteSource(PAYLOAD, 'x'), PIECE);
    assert.throws(() => {
      server.registerPieces('f'.repeat(64), pieces, { kind: 'anyone' });
    }, /named nodes only/);
  });
});
