import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { receivePieces } from '../../../agent/data-plane/index.js';
import { TokenBucket } from '../../../agent/async/index.js';
import {
  ArchiveServer,
  fetchPieces,
  wholeArchivePieces,
  type PieceSource,
} from '../../../shared/data-plane/index.js';
import { silentLogger } from '../../../shared/logging/index.js';
import { buildPieceManifest, type PieceManifest } from '../../../shared/pieces/index.js';
import { PieceStore } from '../../../agent/pieces/index.js';
import { BufferByteSource } from '../../../shared/tar/index.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

const PIECE = 256 * 1024;
const PAYLOAD = randomBytes(PIECE * 6 + 1234);
const logger = silentLogger();
const ANYONE = { kind: 'anyone' } as const;

/** A real server whose pieces are the test's: to play a source that lies, stalls or dies. */
async function rogue(piece: PieceSource['piece']): Promise<{ address: string; stop(): Promise<void> }> {
  const server = new ArchiveServer({ logger, shutdownGraceMs: 100 });
  const address = await server.start();
  server.registerPieces(archiveId, { pieceCount: Math.ceil(PAYLOAD.length / PIECE), piece }, ANYONE);
  return { address, stop: () => server.stop() };
}

/** The archive's id, set once the suite's manifest exists. */
let archiveId = '';

/** Waits until `signal` aborts: a source that has nothing more to say. */
const silence = (signal: AbortSignal): Promise<never> =>
  new Promise((_resolve, reject) => {
    signal.addEventListener(
      'abort',
      () => {
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });

const slice = (index: number): Buffer => PAYLOAD.subarray(index * PIECE, (index + 1) * PIECE);

describe('receivePieces from real servers', { timeout: 60_000 }, () => {
  let tmp: TempDir;
  let manifest: PieceManifest;
  let origin: ArchiveServer;
  let originAddress: string;
  let stores = 0;
  const freshStore = (): Promise<PieceStore> =>
    PieceStore.open(join(tmp.path, `store-${++stores}`), manifest);

  before(async () => {
    tmp = makeTempDir('airlift-pieces');
    const source = new BufferByteSource(PAYLOAD, 'images.tar');
    manifest = await buildPieceManifest(source, PIECE);
    archiveId = manifest.sha256.slice('sha256:'.length);
    origin = new ArchiveServer({ logger });
    originAddress = await origin.start();
    origin.registerPieces(archiveId, wholeArchivePieces(source, PIECE), ANYONE);
  });
  after(async () => {
    await origin.stop();
    await tmp.remove();
  });

  const receive = (store: PieceStore, sources: string[], stallMs = 2000, maxRate?: TokenBucket) =>
    receiveStripes(store, [sources], stallMs, maxRate);
  const receiveStripes = (store: PieceStore, stripes: string[][], stallMs = 2000, maxRate?: TokenBucket) =>
    receivePieces({
      archiveId,
      // Plaintext checks no names: any will do.
      stripes: stripes.map((list) =>
        list.map((address) => ({ address, name: address === originAddress ? 'coordinator' : 'peer' })),
      ),
      node: 'n1',
      runId: 'r1',
      target: store,
      signal: AbortSignal.timeout(30_000),
      stallMs,
      logger,
      ...(maxRate === undefined ? {} : { maxRate }),
    });

  it('fetches every piece from one source; the store then holds exactly the archive', async () => {
    const store = await freshStore();
    const report = await receive(store, [originAddress]);
    assert.equal(store.complete, true);
    assert.equal(report.piecesReceived, manifest.pieces.length);
    assert.equal(report.bytesReceived, PAYLOAD.length);
    assert.equal(report.sourceSwitches, 0);
    assert.deepEqual(await readFile(join(store.path, 'data')), PAYLOAD);
    await store.close();
  });

  it('relays: a peer serving its store while it still receives feeds the next node (pipelined chain)', async () => {
    const relay = await freshStore();
    const relayServer = new ArchiveServer({ logger });
    const relayAddress = await relayServer.start();
    relayServer.registerPieces(
      archiveId,
      {
        pieceCount: relay.pieceCount,
        piece: async (index, signal) => {
          await relay.waitFor(index, signal);
          return relay.read(index);
        },
      },
      ANYONE,
    );
    try {
      const last = await freshStore();
      // The downstream node starts first: it must wait on the relay, not fall back to the origin.
      const downstream = receive(last, [relayAddress, originAddress]);
      const upstream = receive(relay, [originAddress], 2000, new TokenBucket(4 * 1024 * 1024));
      const [down] = await Promise.all([downstream, upstream]);
      assert.equal(last.complete, true);
      assert.deepEqual(Object.keys(down.bytesFromSource), [relayAddress], 'every byte came from the relay');
      assert.equal(origin.stats().nodes.n1 !== undefined, true);
      await last.close();
    } finally {
      await relayServer.stop();
      await relay.close();
    }
  });

  it('waits for a peer whose job has not started yet instead of falling back to the origin', async () => {
    const relay = await freshStore();
    const relayServer = new ArchiveServer({ logger });
    const relayAddress = await relayServer.start();
    try {
      const last = await freshStore();
      // The peer answers NOT_FOUND for a while: its own job reaches it after ours reached this node.
      const downstream = receive(last, [relayAddress, originAddress]);
      await new Promise((resolve) => setTimeout(resolve, 700));
      relayServer.registerPieces(
        archiveId,
        {
          pieceCount: relay.pieceCount,
          piece: async (index, signal) => {
            await relay.waitFor(index, signal);
            return relay.read(index);
          },
        },
        ANYONE,
      );
      const [down] = await Promise.all([downstream, receive(relay, [originAddress])]);
      assert.equal(last.complete, true);
      assert.equal(down.sourceSwitches, 0);
      assert.deepEqual(Object.keys(down.bytesFromSource), [relayAddress], 'every byte came from the peer');
      await last.close();
    } finally {
      await relayServer.stop();
      await relay.close();
    }
  });

  it('gives up on a peer that never serves the archive once the stall timeout has passed', async () => {
    const empty = new ArchiveServer({ logger });
    const emptyAddress = await empty.start();
    try {
      const store = await freshStore();
      const started = performance.now();
      const report = await receive(store, [emptyAddress, originAddress], 600);
      assert.equal(store.complete, true);
      assert.equal(report.sourceSwitches, 1);
      assert.deepEqual(Object.keys(report.bytesFromSource), [originAddress]);
      assert.ok(performance.now() - started >= 600, 'waited out the stall timeout first');
      await store.close();
    } finally {
      await empty.stop();
    }
  });

  it('drops a corrupt piece, counts it, and fetches it again from the next source', async () => {
    const liar = await rogue((index) => {
      const data = Buffer.from(slice(index));
      data[10] = (data[10] ?? 0) ^ 0xff;
      return Promise.resolve(data);
    });
    try {
      const store = await freshStore();
      const report = await receive(store, [liar.address, originAddress]);
      assert.equal(store.complete, true);
      assert.equal(report.corruptPieces, 1);
      assert.equal(report.sourceSwitches, 1);
      assert.equal(report.bytesFromSource[liar.address], undefined, 'nothing from the liar was kept');
      assert.deepEqual(await readFile(join(store.path, 'data')), PAYLOAD);
      await store.close();
    } finally {
      await liar.stop();
    }
  });

  it('switches away from a source that stalls, continuing from the first missing piece', async () => {
    // Two good pieces, then silence without ending the stream.
    const staller = await rogue((index, signal) =>
      index < 2 ? Promise.resolve(slice(index)) : silence(signal),
    );
    try {
      const store = await freshStore();
      const started = Date.now();
      const report = await receive(store, [staller.address, originAddress], 500);
      assert.equal(store.complete, true);
      assert.equal(report.bytesFromSource[staller.address], 2 * PIECE);
      assert.equal(
        report.bytesFromSource[originAddress],
        PAYLOAD.length - 2 * PIECE,
        'the rest, not all again',
      );
      assert.ok(Date.now() - started < 10_000);
      await store.close();
    } finally {
      await staller.stop();
    }
  });

  it('moves past a dead source and gives up with a clear error when none can help', async () => {
    const store = await freshStore();
    const report = await receive(store, ['127.0.0.1:9', originAddress]);
    assert.equal(store.complete, true);
    assert.equal(report.sourceSwitches, 1);
    const empty = await freshStore();
    await assert.rejects(receive(empty, ['127.0.0.1:9']), /no source delivered a piece .*127\.0\.0\.1:9/);
    await empty.close();
    await store.close();
  });

  it('resumes: only the pieces missing from disk are fetched', async () => {
    const dir = join(tmp.path, 'resume');
    const first = await PieceStore.open(dir, manifest);
    for (const index of [0, 1, 2])
      await first.write(index, PAYLOAD.subarray(index * PIECE, (index + 1) * PIECE));
    await first.close();
    const again = await PieceStore.open(dir, manifest);
    const report = await receive(again, [originAddress]);
    assert.equal(again.complete, true);
    assert.equal(report.piecesReceived, manifest.pieces.length - 3);
    await again.close();
  });

  it('--max-rate holds the receive rate', async () => {
    const store = await freshStore();
    const rate = 512 * 1024;
    const started = performance.now();
    await receive(store, [originAddress], 5000, new TokenBucket(rate));
    const seconds = (performance.now() - started) / 1000;
    // One second of burst is allowed; the rest must take at least its share of time.
    const floor = (PAYLOAD.length - rate) / rate;
    assert.ok(
      seconds >= floor * 0.9,
      `took ${seconds.toFixed(2)} s, at least ${floor.toFixed(2)} s expected`,
    );
    await store.close();
  });

  /** Bytes of the pieces whose index % count is stripe. */
  const stripeBytes = (stripe: number, count: number): number =>
    manifest.pieces
      .map((_, i) => Math.min(PIECE, PAYLOAD.length - i * PIECE))
      .filter((_, i) => i % count === stripe)
      .reduce((sum, size) => sum + size, 0);

  it('serves every stride-th piece from from_piece when asked for a stripe', async () => {
    const pieces = fetchPieces(originAddress, {
      archiveId,
      fromPiece: 1,
      stride: 2,
      node: 'n1',
      runId: 'r1',
    });
    const indices: number[] = [];
    for await (const message of pieces) {
      indices.push(message.index);
      assert.deepEqual(message.data, slice(message.index));
    }
    assert.deepEqual(indices, [1, 3, 5]);
  });

  it('stripes: each stripe comes from its own source, at once, and together they make the archive', async () => {
    const other = new ArchiveServer({ logger });
    const otherAddress = await other.start();
    other.registerPieces(
      archiveId,
      wholeArchivePieces(new BufferByteSource(PAYLOAD, 'images.tar'), PIECE),
      ANYONE,
    );
    try {
      const store = await freshStore();
      const report = await receiveStripes(store, [[originAddress], [otherAddress]]);
      assert.equal(store.complete, true);
      assert.deepEqual(report.bytesFromSource, {
        [originAddress]: stripeBytes(0, 2),
        [otherAddress]: stripeBytes(1, 2),
      });
      assert.equal(report.sourceSwitches, 0);
      assert.deepEqual(await readFile(join(store.path, 'data')), PAYLOAD);
      await store.close();
    } finally {
      await other.stop();
    }
  });

  it("stripes: a stripe whose source stalls moves on for that stripe's missing pieces only", async () => {
    const asked: number[] = [];
    // The stripe's first piece, then silence without ending the stream.
    const staller = await rogue((index, signal) => {
      asked.push(index);
      return asked.length === 1 ? Promise.resolve(slice(index)) : silence(signal);
    });
    try {
      const store = await freshStore();
      const report = await receiveStripes(store, [[originAddress], [staller.address, originAddress]], 500);
      assert.equal(store.complete, true);
      assert.deepEqual(asked, [1, 3], 'asked from piece 1, every second piece');
      assert.equal(report.sourceSwitches, 1);
      assert.equal(report.bytesFromSource[staller.address], PIECE);
      assert.equal(report.bytesFromSource[originAddress], PAYLOAD.length - PIECE, 'the rest, not all again');
      assert.deepEqual(await readFile(join(store.path, 'data')), PAYLOAD);
      await store.close();
    } finally {
      await staller.stop();
    }
  });

  it('stripes: a stripe no source can serve fails the receive, naming the stripe', async () => {
    const store = await freshStore();
    await assert.rejects(
      receiveStripes(store, [[originAddress], ['127.0.0.1:9']]),
      /no source delivered a piece for stripe 1 of 2 .*127\.0\.0\.1:9/,
    );
    await store.close();
  });
});
