import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fromJSON } from '@grpc/proto-loader';
import fc from 'fast-check';
import { CONTAINERD_WRITE_API } from '../../../../agent/runtime/containerd-ingest/write-api-schema.js';
import {
  encodeWriteRequest,
  GRPC_PREFIX_BYTES,
} from '../../../../agent/runtime/containerd-ingest/write-request-encoding.js';
import type { WriteMessage } from '../../../../agent/runtime/containerd-ingest/write-api.js';

// The schema's own decoder (protobufjs through proto-loader), as grpc-js would decode the request.
const definition = fromJSON(CONTAINERD_WRITE_API, { longs: Number, enums: String, defaults: true });
const write = (definition['containerd.services.content.v1.Content'] as Record<string, unknown>)['Write'] as {
  requestDeserialize(bytes: Buffer): Record<string, unknown>;
};

/** The message a gRPC server reads from the head and data, after checking the prefix. */
function decode(message: WriteMessage): Record<string, unknown> {
  const { head, data } = encodeWriteRequest(message);
  const body = Buffer.concat([head.subarray(GRPC_PREFIX_BYTES), data ?? Buffer.alloc(0)]);
  assert.equal(head[0], 0, 'not compressed');
  assert.equal(head.readUInt32BE(1), body.length, 'the prefix gives the whole message length');
  return write.requestDeserialize(body);
}

describe('content.Write request encoding', () => {
  it('encodes STAT, WRITE and COMMIT as the schema decodes them', () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const stat = decode({ action: 'STAT', ref: 'airlift-x', total: 5_000_000_000, expected: digest });
    assert.equal(stat['action'], 'STAT');
    assert.equal(stat['ref'], 'airlift-x');
    assert.equal(stat['total'], 5_000_000_000, 'sizes beyond 32 bits survive');
    assert.equal(stat['expected'], digest);

    const data = randomBytes(256 * 1024);
    const written = decode({ action: 'WRITE', ref: 'airlift-x', offset: 2 ** 40 + 3, data });
    assert.equal(written['action'], 'WRITE');
    assert.equal(written['offset'], 2 ** 40 + 3);
    assert.deepEqual(written['data'], data);

    const labels = { 'containerd.io/gc.ref.content.l.0': digest, 'airlift.io/ünïcode': 'välue' };
    const commit = decode({ action: 'COMMIT', ref: 'r', offset: 9, total: 9, expected: digest, labels });
    assert.equal(commit['action'], 'COMMIT');
    assert.deepEqual(commit['labels'], labels);
  });

  it('hands the data over as the same buffer, not a copy', () => {
    const data = randomBytes(1000);
    assert.equal(encodeWriteRequest({ action: 'WRITE', offset: 0, data }).data, data);
  });

  it('round-trips any offset, size, ref and data', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ maxLength: 300 }),
        (ref, offset, bytes) => {
          const data = Buffer.from(bytes);
          const decoded = decode({ action: 'WRITE', ref, offset, data });
          assert.equal(decoded['ref'], ref);
          assert.equal(decoded['offset'], offset);
          assert.deepEqual(decoded['data'], data);
        },
      ),
    );
  });

  it('refuses what is not a safe non-negative integer', () => {
    assert.throws(() => encodeWriteRequest({ action: 'WRITE', offset: -1 }), RangeError);
    assert.throws(() => encodeWriteRequest({ action: 'WRITE', offset: 2 ** 53 }), RangeError);
  });
});
