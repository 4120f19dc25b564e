import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ARCHIVE_PROTO_FILE,
  archiveProto,
  grpcStatusName,
  protoRoot,
  sha256Hex,
} from '../../../shared/data-plane/index.js';
import { ArchiveFetchError, ArchiveIntegrityError, ErrorCode } from '../../../shared/errors/index.js';
import { REPO_ROOT } from '../../helpers/paths.js';

describe('data-plane proto', () => {
  it('is found in the repository proto/ directory from the compiled module', () => {
    assert.equal(protoRoot(), join(REPO_ROOT, 'proto/'));
    assert.ok(existsSync(join(protoRoot(), ARCHIVE_PROTO_FILE)));
  });

  it('defines Fetch as a server stream and Ping as unary', () => {
    const { Fetch, Ping } = archiveProto().ArchiveService.service;
    assert.equal(Fetch.path, '/airlift.data.v1.ArchiveService/Fetch');
    assert.equal(Fetch.requestStream, false);
    assert.equal(Fetch.responseStream, true);
    assert.equal(Ping.responseStream, false);
  });

  it('carries offsets past 4 GiB as plain numbers and fills absent fields with defaults', () => {
    const { Fetch } = archiveProto().ArchiveService.service;
    const offset = 2 ** 40 + 3;
    const wire = Fetch.requestSerialize({ archiveId: 'ab', offset, node: 'n1' });
    const decoded = Fetch.requestDeserialize(wire);
    assert.deepEqual(decoded, { archiveId: 'ab', offset, length: 0, node: 'n1', runId: '' });
    const chunk = Fetch.responseDeserialize(Fetch.responseSerialize({ offset, data: Buffer.from('xyz') }));
    assert.equal(chunk.offset, offset);
    assert.deepEqual(chunk.data, Buffer.from('xyz'));
  });

  it('normalises sha256 digests and names gRPC status codes', () => {
    const hex = 'AB'.repeat(32);
    assert.equal(sha256Hex(`sha256:${hex}`), hex.toLowerCase());
    assert.equal(sha256Hex(hex.toLowerCase()), hex.toLowerCase());
    assert.equal(sha256Hex('sha256:abc'), undefined);
    assert.equal(sha256Hex(`sha512:${hex}`), undefined);
    assert.equal(grpcStatusName(5), 'NOT_FOUND');
    assert.equal(grpcStatusName(14), 'UNAVAILABLE');
    assert.equal(grpcStatusName(99), 'STATUS_99');
  });

  it('data-plane errors carry archive, address and status in their JSON form', () => {
    const fetchError = new ArchiveFetchError('a'.repeat(64), '10.0.0.1:7480', 'UNAVAILABLE', 'refused', {
      node: 'n1',
    });
    assert.equal(fetchError.code, ErrorCode.ArchiveFetchFailed);
    assert.deepEqual(fetchError.toJSON(), {
      name: 'ArchiveFetchError',
      code: 'ARCHIVE_FETCH_FAILED',
      message: fetchError.message,
      node: 'n1',
      archiveId: 'a'.repeat(64),
      address: '10.0.0.1:7480',
      status: 'UNAVAILABLE',
    });
    const integrity = new ArchiveIntegrityError('b'.repeat(64), '10.0.0.1:7480', 'short');
    assert.equal(integrity.code, ErrorCode.ArchiveIntegrityFailed);
    assert.equal(integrity.toJSON().address, '10.0.0.1:7480');
  });
});
