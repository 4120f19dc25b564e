// CPU of one node's piece path, in one process: writing S into a piece store (sha256 check, data and
// have-log writes), streaming it back out in order (what feeds the import), and receiving it over the piece stream
// from a loopback ArchiveServer with receivePieces (both ends here). Each step runs three times, so the
// first (cold: V8 has not optimised the code yet, as in an agent's one job) can be read against the
// third (warm). Not a test.
//
//   npm run bench:piece-path -- [sizeMiB=16] [pieceKiB=128]
//
// Prints CPU milliseconds (user + system, all threads) and wall milliseconds per run.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { receivePieces } from '../../agent/data-plane/index.js';
import { ArchiveServer, wholeArchivePieces } from '../../shared/data-plane/index.js';
import { silentLogger } from '../../shared/logging/index.js';
import { buildPieceManifest, type PieceManifest } from '../../shared/pieces/index.js';
import { PieceStore } from '../../agent/pieces/index.js';
import { BufferByteSource } from '../../shared/tar/index.js';

const sizeMiB = Number(process.argv[2] ?? 16);
const pieceKiB = Number(process.argv[3] ?? 128);
if (!(sizeMiB > 0) || !(pieceKiB >= 16)) {
  process.stderr.write('usage: piece-path-bench [sizeMiB>0] [pieceKiB>=16, a power of two]\n');
  process.exit(2);
}

/** Runs `step` and prints its CPU and wall time. */
async function measure(label: string, step: () => Promise<void>): Promise<void> {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  await step();
  const used = process.cpuUsage(cpu);
  const cpuMs = Math.round((used.user + used.system) / 1000);
  process.stdout.write(
    `${label.padEnd(28)} cpu ${String(cpuMs).padStart(5)} ms   wall ${Math.round(performance.now() - wall)} ms\n`,
  );
}

async function writeAll(store: PieceStore, data: Buffer, manifest: PieceManifest): Promise<void> {
  for (let i = 0; i < manifest.pieces.length; i++) {
    const offset = i * manifest.pieceSize;
    await store.write(i, data.subarray(offset, Math.min(data.length, offset + manifest.pieceSize)));
  }
  // Writes resolve once a piece is held; the disk work behind them belongs in the figure too.
  await store.flush();
}

async function drain(store: PieceStore): Promise<number> {
  let bytes = 0;
  for await (const chunk of store.stream(0)) bytes += (chunk as Buffer).length;
  return bytes;
}

const dir = await mkdtemp(join(tmpdir(), 'airlift-piece-bench-'));
const server = new ArchiveServer({ logger: silentLogger() });
try {
  const data = randomBytes(sizeMiB * 1024 * 1024);
  const source = new BufferByteSource(data, 'images.tar');
  const manifest = await buildPieceManifest(source, pieceKiB * 1024);
  const id = manifest.sha256.slice('sha256:'.length);
  const address = await server.start();
  server.registerPieces(id, wholeArchivePieces(source, manifest.pieceSize), { kind: 'anyone' });
  process.stdout.write(`S = ${sizeMiB} MiB, ${manifest.pieces.length} pieces of ${pieceKiB} KiB\n`);
  for (let run = 1; run <= 3; run++) {
    const store = await PieceStore.open(join(dir, `write-${run}`), manifest);
    await measure(`store write, run ${run}`, () => writeAll(store, data, manifest));
    await measure(`store stream, run ${run}`, async () => {
      if ((await drain(store)) !== data.length) throw new Error('the stream lost bytes');
    });
    await store.remove();
    const target = await PieceStore.open(join(dir, `receive-${run}`), manifest);
    await measure(`piece-stream receive, run ${run}`, async () => {
      await receivePieces({
        archiveId: id,
        stripes: [[{ address, name: 'coordinator' }]],
        node: 'bench',
        runId: 'bench',
        target,
        signal: AbortSignal.timeout(120_000),
        stallMs: 10_000,
        logger: silentLogger(),
      });
    });
    await target.remove();
  }
} finally {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
