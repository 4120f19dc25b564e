import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromJSON, loadSync, type Options } from '@grpc/proto-loader';
import { archiveProtoJson } from '../../../deploy/build/archive-proto-json.js';
import { ARCHIVE_PROTO_FILE, protoRoot } from '../../../shared/data-plane/index.js';

// The options shared/data-plane/archive-proto.ts loads with.
const OPTIONS: Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

interface Method {
  path: string;
  requestSerialize(value: object): Buffer;
  requestDeserialize(bytes: Buffer): object;
  responseSerialize(value: object): Buffer;
  responseDeserialize(bytes: Buffer): object;
}
type Service = Record<string, Method>;

function service(definition: ReturnType<typeof loadSync>): Service {
  return definition['airlift.data.v1.ArchiveService'] as unknown as Service;
}

describe('the proto embedded in the bundled CLI', () => {
  const fromFile = service(loadSync(ARCHIVE_PROTO_FILE, { ...OPTIONS, includeDirs: [protoRoot()] }));
  const json = archiveProtoJson(protoRoot(), ARCHIVE_PROTO_FILE);
  const embedded = service(fromJSON(JSON.parse(json) as Parameters<typeof fromJSON>[0], OPTIONS));

  it('has the same methods at the same paths as the file', () => {
    assert.deepEqual(Object.keys(embedded).sort(), Object.keys(fromFile).sort());
    for (const [name, method] of Object.entries(fromFile)) assert.equal(embedded[name]?.path, method.path);
  });

  it('writes and reads the same bytes, camelCase names and defaults included', () => {
    const request = {
      archiveId: 'ab'.repeat(32),
      fromPiece: 4_000_000_000,
      node: 'n1',
      runId: 'r',
      stride: 2,
    };
    const reply = { version: 'v', timeUnixMs: 1234, archiveCount: 2, pieceStreamPort: 7482 };
    const open = embedded.OpenPieceStream;
    const ping = embedded.Ping;
    assert.ok(open !== undefined && ping !== undefined && fromFile.OpenPieceStream && fromFile.Ping);
    const bytes = fromFile.OpenPieceStream.requestSerialize(request);
    assert.deepEqual(open.requestSerialize(request), bytes);
    assert.deepEqual(open.requestDeserialize(bytes), request);
    assert.deepEqual(ping.responseDeserialize(fromFile.Ping.responseSerialize(reply)), reply);
    assert.deepEqual(ping.responseDeserialize(ping.responseSerialize({ version: 'v' })), {
      version: 'v',
      timeUnixMs: 0,
      archiveCount: 0,
      pieceStreamPort: 0,
    });
  });
});
