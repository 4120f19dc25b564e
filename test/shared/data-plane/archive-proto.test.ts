import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHIVE_PROTO_FILE, archiveProto, protoRoot } from '../../../shared/data-plane/index.js';
import { REPO_ROOT } from '../../helpers/paths.js';

describe('data-plane proto', () => {
  it('is found in the repository proto/ directory from the compiled module', () => {
    assert.equal(protoRoot(), join(REPO_ROOT, 'proto/'));
    assert.ok(existsSync(join(protoRoot(), ARCHIVE_PROTO_FILE)));
  });

  it('defines OpenPieceStream and Ping as unary, and no longer Fetch or FetchPieces', () => {
    const service = archiveProto().ArchiveService.service;
    const { OpenPieceStream, Ping } = service;
    assert.equal(OpenPieceStream.path, '/airlift.data.v1.ArchiveService/OpenPieceStream');
    assert.equal(OpenPieceStream.requestStream, false);
    assert.equal(OpenPieceStream.responseStream, false);
    assert.equal(Ping.path, '/airlift.data.v1.ArchiveService/Ping');
    assert.equal(Ping.requestStream, false);
    assert.equal(Ping.responseStream, false);
    assert.deepEqual(Object.keys(service).sort(), ['OpenPieceStream', 'Ping']);
  });

  it('round-trips a request, filling absent fields with defaults', () => {
    const { OpenPieceStream } = archiveProto().ArchiveService.service;
    const decoded = OpenPieceStream.requestDeserialize(
      OpenPieceStream.requestSerialize({ archiveId: 'ab', fromPiece: 7, node: 'n1' }),
    );
    assert.deepEqual(decoded, { archiveId: 'ab', fromPiece: 7, node: 'n1', runId: '', stride: 0 });
    const full = { archiveId: 'c'.repeat(64), fromPiece: 4_000_000_000, node: 'n2', runId: 'r9', stride: 3 };
    assert.deepEqual(OpenPieceStream.requestDeserialize(OpenPieceStream.requestSerialize(full)), full);
  });

  it('round-trips a piece stream ticket: the port and the 32 bytes, exactly', () => {
    const { OpenPieceStream } = archiveProto().ArchiveService.service;
    const ticket = randomBytes(32);
    const reply = OpenPieceStream.responseDeserialize(
      OpenPieceStream.responseSerialize({ port: 7482, ticket }),
    );
    assert.equal(reply.port, 7482);
    assert.ok(Buffer.isBuffer(reply.ticket), 'the ticket arrives as a Buffer');
    assert.deepEqual(reply.ticket, ticket);
    const empty = OpenPieceStream.responseDeserialize(OpenPieceStream.responseSerialize({}));
    assert.equal(empty.port, 0);
    assert.equal(empty.ticket.length, 0);
  });

  it('carries the piece stream port in PingReply, 0 when absent', () => {
    const { Ping } = archiveProto().ArchiveService.service;
    const reply = Ping.responseDeserialize(
      Ping.responseSerialize({ version: 'v', timeUnixMs: 1234, archiveCount: 2, pieceStreamPort: 7482 }),
    );
    assert.deepEqual(reply, { version: 'v', timeUnixMs: 1234, archiveCount: 2, pieceStreamPort: 7482 });
    assert.equal(Ping.responseDeserialize(Ping.responseSerialize({ version: 'v' })).pieceStreamPort, 0);
  });
});
