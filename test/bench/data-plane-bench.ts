// Data-plane throughput over loopback: one ArchiveServer (main thread) serving a 512 MiB file range to
// fetchArchive() clients (a worker thread, so server and clients do not share one event loop). Not a test.
//
//   npx tsc -p tsconfig.json && node dist/test/bench/data-plane-bench.js [sizeMiB] [parallel,…] [windowKiB]
//
// windowKiB sets the clients' HTTP/2 flow-control window (grpc-js default: 64 KiB).
// Prints MB/s (10^6 bytes/s) per run: aggregate over all streams, including the fetcher's sha256.
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { fetchArchive } from '../../agent/data-plane/index.js';
import { ArchiveServer } from '../../shared/data-plane/index.js';
import { FileByteSource } from '../../shared/tar/index.js';

const MiB = 1 << 20;

interface Job {
  readonly address: string;
  readonly id: string;
  readonly size: number;
  readonly parallel: number;
  readonly windowKiB: number | undefined;
}

/** Worker side: runs `parallel` fetches of the whole archive at once and reports the wall time. */
async function runFetches(job: Job): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: job.parallel }, (_, i) =>
      pipeline(
        fetchArchive({
          address: job.address,
          archiveId: job.id,
          size: job.size,
          sha256: job.id,
          node: `bench-${String(i)}`,
          runId: 'bench',
          ...(job.windowKiB === undefined ? {} : { flowControlWindow: job.windowKiB * 1024 }),
        }),
        new Writable({
          write(_chunk, _encoding, callback) {
            callback();
          },
        }),
      ),
    ),
  );
  return performance.now() - started;
}

async function main(): Promise<void> {
  const sizeMiB = Number(process.argv[2] ?? 512);
  const runs = (process.argv[3] ?? '1,4').split(',').map(Number);
  const windowKiB = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
  const dir = await mkdtemp(join(tmpdir(), 'airlift-bench-'));
  const server = new ArchiveServer();
  let source: FileByteSource | undefined;
  try {
    // A 4 KiB header then the payload, like images.tar inside a bundle. Sparse: reads come from the
    // page cache, so the disk does not limit what is measured.
    const path = join(dir, 'bench.bundle.tar');
    const handle = await open(path, 'w');
    await handle.truncate(4096 + sizeMiB * MiB);
    await handle.close();
    source = await FileByteSource.open(path);
    const archive = source.slice(4096, sizeMiB * MiB, 'bench!images.tar');
    const hash = createHash('sha256');
    for await (const chunk of archive.stream()) hash.update(chunk as Buffer);
    const id = hash.digest('hex');
    server.register(id, archive, { kind: 'anyone' });
    const address = await server.start();

    const worker = new Worker(new URL(import.meta.url));
    try {
      for (const parallel of runs) {
        const job: Job = { address, id, size: archive.size, parallel, windowKiB };
        const ms = await new Promise<number>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.postMessage(job);
        });
        const bytes = archive.size * parallel;
        process.stdout.write(
          `window ${windowKiB === undefined ? 'default' : `${String(windowKiB)} KiB`}, ${String(parallel)} stream(s) × ${String(sizeMiB)} MiB: ${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s aggregate, ` +
            `${(archive.size / 1e6 / (ms / 1000)).toFixed(0)} MB/s per stream (${(ms / 1000).toFixed(2)} s)\n`,
        );
      }
    } finally {
      await worker.terminate();
    }
    process.stdout.write(`server stats: ${JSON.stringify(server.stats())}\n`);
  } finally {
    await server.stop();
    await source?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (isMainThread) {
  await main();
} else {
  parentPort?.on('message', (job: Job) => {
    void runFetches(job).then((ms) => parentPort?.postMessage(ms));
  });
}
