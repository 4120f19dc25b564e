import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { receivePieces } from '../../../agent/data-plane/index.js';
import {
  ArchiveServer,
  wholeArchivePieces,
  type DataPlaneTls,
  type PieceSource,
} from '../../../shared/data-plane/index.js';
import { silentLogger } from '../../../shared/logging/index.js';
import { buildPieceManifest, type PieceManifest } from '../../../shared/pieces/index.js';
import { PieceStore } from '../../../agent/pieces/index.js';
import { BufferByteSource } from '../../../shared/tar/index.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { makeTestFleetCa, type TestFleetCa } from '../../shared/data-plane/fleet-certs.js';

const PIECE = 128 * 1024;
const PAYLOAD = randomBytes(PIECE * 5 + 777);
const logger = silentLogger();

/** A store's pieces as an agent serves them: those held at once, the rest as they arrive. */
function relayed(store: PieceStore): PieceSource {
  return {
    pieceCount: store.pieceCount,
    piece: async (index, signal) => {
      await store.waitFor(index, signal);
      return store.read(index);
    },
  };
}

describe('receivePieces over mutual TLS', { timeout: 60_000 }, () => {
  let tmp: TempDir;
  let fleet: TestFleetCa;
  let manifest: PieceManifest;
  let id: string;
  let coordinator: ArchiveServer;
  let coordinatorAddress: string;
  const tlsOf = new Map<string, DataPlaneTls>();
  const servers: ArchiveServer[] = [];
  let stores = 0;
  const freshStore = (): Promise<PieceStore> =>
    PieceStore.open(join(tmp.path, `store-${++stores}`), manifest);
  const tls = (name: string): DataPlaneTls => {
    const found = tlsOf.get(name);
    if (found === undefined) throw new Error(`no certificate for ${name}`);
    return found;
  };

  /** An agent's data-plane server presenting `name`'s certificate, serving `source` to `servesTo`. */
  const agentServer = async (name: string, source: PieceSource, servesTo: string[]): Promise<string> => {
    const server = new ArchiveServer({ logger, tls: tls(name), shutdownGraceMs: 100 });
    servers.push(server);
    server.registerPieces(id, source, { kind: 'nodes', names: new Set(servesTo) });
    return server.start();
  };

  const receive = (node: string, store: PieceStore, sources: { address: string; name: string }[]) =>
    receivePieces({
      archiveId: id,
      stripes: [sources],
      node,
      runId: 'r1',
      target: store,
      tls: tls(node),
      signal: AbortSignal.timeout(30_000),
      stallMs: 2000,
      logger,
    });

  before(async () => {
    tmp = makeTempDir('airlift-pieces-tls');
    fleet = await makeTestFleetCa();
    for (const name of ['coordinator', 'node-1', 'node-2', 'node-3']) tlsOf.set(name, await fleet.tls(name));
    const source = new BufferByteSource(PAYLOAD, 'images.tar');
    manifest = await buildPieceManifest(source, PIECE);
    id = manifest.sha256.slice('sha256:'.length);
    coordinator = new ArchiveServer({ logger, tls: tls('coordinator'), shutdownGraceMs: 100 });
    servers.push(coordinator);
    coordinator.registerPieces(id, wholeArchivePieces(source, PIECE), {
      kind: 'nodes',
      names: new Set(['node-1', 'node-2', 'node-3']),
    });
    coordinatorAddress = await coordinator.start();
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await tmp.remove();
  });

  const fromCoordinator = (): { address: string; name: string } => ({
    address: coordinatorAddress,
    name: 'coordinator',
  });

  it('relays a chain: node-2 gets every piece from node-1 while node-1 still receives', async () => {
    const relay = await freshStore();
    const relayAddress = await agentServer('node-1', relayed(relay), ['node-2']);
    const last = await freshStore();
    const downstream = receive('node-2', last, [
      { address: relayAddress, name: 'node-1' },
      fromCoordinator(),
    ]);
    const upstream = receive('node-1', relay, [fromCoordinator()]);
    const [down] = await Promise.all([downstream, upstream]);
    assert.equal(last.complete, true);
    assert.equal(down.sourceSwitches, 0);
    assert.deepEqual(Object.keys(down.bytesFromSource), [relayAddress], 'every byte came from node-1');
    assert.deepEqual(await readFile(join(last.path, 'data')), PAYLOAD);
    await Promise.all([last.close(), relay.close()]);
  });

  it('refuses a source whose certificate names another node and fetches from the next one', async () => {
    // The plan says node-1 serves at this address; the server there is node-3 (and would serve node-2).
    const held = await freshStore();
    for (let i = 0; i < held.pieceCount; i++)
      await held.write(i, PAYLOAD.subarray(i * PIECE, (i + 1) * PIECE));
    const fake = await agentServer('node-3', relayed(held), ['node-2']);
    const store = await freshStore();
    const report = await receive('node-2', store, [{ address: fake, name: 'node-1' }, fromCoordinator()]);
    assert.equal(store.complete, true);
    assert.equal(report.sourceSwitches, 1);
    assert.deepEqual(Object.keys(report.bytesFromSource), [coordinatorAddress], 'nothing from the impostor');
    assert.equal(servers.at(-1)?.stats().nodes['node-2'], undefined, 'the impostor never got a call');
    await Promise.all([store.close(), held.close()]);
  });

  it('a peer serves only the nodes its job names: another node is refused and moves on', async () => {
    const held = await freshStore();
    for (let i = 0; i < held.pieceCount; i++)
      await held.write(i, PAYLOAD.subarray(i * PIECE, (i + 1) * PIECE));
    const relayAddress = await agentServer('node-1', relayed(held), ['node-2']);
    const relay = servers.at(-1);
    const store = await freshStore();
    const report = await receive('node-3', store, [
      { address: relayAddress, name: 'node-1' },
      fromCoordinator(),
    ]);
    assert.equal(store.complete, true);
    assert.equal(report.sourceSwitches, 1);
    assert.deepEqual(Object.keys(report.bytesFromSource), [coordinatorAddress]);
    assert.equal(relay?.stats().refused['agent node-3'], 1);
    await Promise.all([store.close(), held.close()]);
  });

  it('gives up naming the sources when none proves to be who the plan says', async () => {
    const store = await freshStore();
    await assert.rejects(
      receivePieces({
        archiveId: id,
        stripes: [[{ address: coordinatorAddress, name: 'node-1' }]],
        node: 'node-2',
        runId: 'r1',
        target: store,
        tls: tls('node-2'),
        signal: AbortSignal.timeout(30_000),
        stallMs: 2000,
        maxIdleRounds: 2,
        logger,
      }),
      /no source delivered a piece .*node-1 at 127\.0\.0\.1:\d+/,
    );
    await store.close();
  });
});
