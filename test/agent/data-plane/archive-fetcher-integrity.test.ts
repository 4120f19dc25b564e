import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { fetchArchive } from '../../../agent/data-plane/index.js';
import {
  archiveProto,
  type ArchiveChunk,
  type ArchiveServiceHandlers,
} from '../../../shared/data-plane/index.js';
import { ArchiveIntegrityError, ErrorCode } from '../../../shared/errors/index.js';
import { assertAirliftError } from '../../helpers/airlift-error-assertions.js';
import { within } from '../../shared/data-plane/served-archive.js';
import { consume, digestOf } from './fetch-consumers.js';

const TIMEOUT = { timeout: 20_000 };
const PAYLOAD = randomBytes(300_000);
const ID = digestOf(PAYLOAD).slice('sha256:'.length);

/** A server that answers every Fetch with exactly `chunks` and an OK status: what a broken source could send. */
async function withRogueServer(
  chunks: ArchiveChunk[],
  run: (address: string) => Promise<void>,
): Promise<void> {
  const server = new Server();
  const handlers: ArchiveServiceHandlers = {
    Fetch: (call) => {
      for (const chunk of chunks) call.write(chunk);
      call.end();
    },
    FetchPieces: (call) => {
      call.end();
    },
    Ping: (_call, callback) => {
      callback(null, {});
    },
  };
  server.addService(archiveProto().ArchiveService.service, handlers);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) => {
        if (err === null) resolve(bound);
        else reject(err);
      });
    });
    await run(`127.0.0.1:${String(port)}`);
  } finally {
    server.forceShutdown();
  }
}

async function fetchFrom(address: string): Promise<unknown> {
  const stream = fetchArchive({
    address,
    archiveId: ID,
    size: PAYLOAD.length,
    sha256: digestOf(PAYLOAD),
    node: 'node-1',
    runId: 'run-1',
  });
  return (await within(consume(stream), 'the fetch')).error;
}

describe('fetchArchive against a misbehaving source', () => {
  it('rejects a stream that ends early with OK', TIMEOUT, async () => {
    await withRogueServer([{ offset: 0, data: PAYLOAD.subarray(0, 1000) }], async (address) => {
      assertAirliftError(await fetchFrom(address), ArchiveIntegrityError, ErrorCode.ArchiveIntegrityFailed, [
        ID,
        address,
        `ended after 1000 of ${PAYLOAD.length} bytes`,
      ]);
    });
  });

  it('rejects a chunk that skips bytes', TIMEOUT, async () => {
    const chunks = [
      { offset: 0, data: PAYLOAD.subarray(0, 1000) },
      { offset: 2000, data: PAYLOAD.subarray(2000) },
    ];
    await withRogueServer(chunks, async (address) => {
      assertAirliftError(await fetchFrom(address), ArchiveIntegrityError, ErrorCode.ArchiveIntegrityFailed, [
        'starts at byte 2000 where byte 1000 was due',
      ]);
    });
  });

  it('rejects more bytes than announced', TIMEOUT, async () => {
    await withRogueServer(
      [{ offset: 0, data: Buffer.concat([PAYLOAD, Buffer.from('x')]) }],
      async (address) => {
        assertAirliftError(
          await fetchFrom(address),
          ArchiveIntegrityError,
          ErrorCode.ArchiveIntegrityFailed,
          [`more than the announced ${PAYLOAD.length} bytes`],
        );
      },
    );
  });

  it('accepts the exact bytes however they are chunked', TIMEOUT, async () => {
    const chunks = [0, 1, 70_000, 250_000].map((at, i, all) => ({
      offset: at,
      data: PAYLOAD.subarray(at, all[i + 1] ?? PAYLOAD.length),
    }));
    await withRogueServer(chunks, async (address) => {
      assert.equal(await fetchFrom(address), undefined);
    });
  });

  it('refuses options that cannot describe an archive', () => {
    const base = { address: '127.0.0.1:1', archiveId: ID, size: 10, node: 'n', runId: 'r' };
    assert.throws(() => fetchArchive({ ...base, sha256: 'md5:abc' }), TypeError);
    assert.throws(() => fetchArchive({ ...base, sha256: digestOf(PAYLOAD), offset: 11 }), RangeError);
    assert.throws(() => fetchArchive({ ...base, sha256: digestOf(PAYLOAD), offset: -1 }), RangeError);
  });
});
