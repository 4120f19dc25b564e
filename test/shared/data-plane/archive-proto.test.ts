import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHIVE_PROTO_FILE, archiveProto, protoRoot } from '../../../shared/data-plane/index.js';
import { REPO_ROOT } from '../../helpers/paths.js';

describe('data-plane proto', () => {
  it('is found in the repository proto/ directory from the compiled module', () => {
    assert.equal(protoRoot(), join(REPO_ROOT, 'proto/'));
    assert.ok(existsSync(join(protoRoot(), ARCHIVE_PROTO_FILE)));
  });

  it('defines FetchPieces as a server stream and Ping as unary, and no longer Fetch', () => {
    const service = archiveProto().ArchiveService.service;
    const { FetchPieces, Ping } = service;
    assert.equal(FetchPieces.path, '/airlift.data.v1.ArchiveService/FetchPieces');
    assert.equal(FetchPieces.requestStream, false);
    assert.equal(FetchPieces.responseStream, true);
    assert.equal(Ping.responseStream, false);
    assert.deepEqual(Object.keys(service).sort(), ['FetchPieces', 'Ping']);
  });

  it('fills absent fields with defaults', () => {
    const { FetchPieces } = archiveProto().ArchiveService.service;
    const decoded = FetchPieces.requestDeserialize(
      FetchPieces.requestSerialize({ archiveId: 'ab', fromPiece: 7, node: 'n1' }),
    );
    assert.deepEqual(decoded, { archiveId: 'ab', fromPiece: 7, node: 'n1', runId: '', stride: 0 });
    const piece = FetchPieces.responseDeserialize(
      FetchPieces.responseSerialize({ index: 3, data: Buffer.from('xyz') }),
    );
    assert.equal(piece.index, 3);
    assert.deepEqual(piece.data, Buffer.from('xyz'));
  });
});
