// The sending side of bench:transport, in a process of its own so its CPU is its own: serves S random
// bytes in pieces over mutual TLS, either with airlift's ArchiveServer (OpenPieceStream, then the piece
// stream) from memory or from a file as the coordinator serves the bundle, or as bare frames written to a
// TLS socket (the floor), and reports its CPU when the parent asks.
import { randomBytes } from 'node:crypto';
import { createServer, type TLSSocket } from 'node:tls';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArchiveServer, wholeArchivePieces, type PieceSource } from '../../../shared/data-plane/index.js';
import { FileByteSource } from '../../../shared/tar/index.js';
import { silentLogger } from '../../../shared/logging/index.js';
import type { TransportBenchSetup } from './transport-setup.js';

const setup = JSON.parse(process.argv[2] ?? '{}') as TransportBenchSetup;
const data = randomBytes(setup.sizeMiB * 1024 * 1024);
const pieceSize = setup.pieceKiB * 1024;
const pieceCount = Math.ceil(data.length / pieceSize);
const piece = (index: number): Buffer =>
  data.subarray(index * pieceSize, Math.min(data.length, (index + 1) * pieceSize));

/** Frames: a 4-byte index and a 4-byte length, then the piece; back-pressure from the socket. */
async function sendFrames(socket: TLSSocket): Promise<void> {
  for (let index = 0; index < pieceCount; index++) {
    const body = piece(index);
    const header = Buffer.alloc(8);
    header.writeUInt32BE(index, 0);
    header.writeUInt32BE(body.length, 4);
    socket.write(header);
    if (!socket.write(body)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  socket.end();
}

/** The pieces as the coordinator serves them: read from a file (the bundle) into reused buffers. */
async function fromFile(): Promise<PieceSource> {
  const dir = await mkdtemp(join(tmpdir(), 'airlift-transport-'));
  const path = join(dir, 'images.tar');
  await writeFile(path, data);
  const file = await FileByteSource.open(path);
  // Unlinked at once: the open descriptor keeps it readable, and nothing is left behind.
  await rm(dir, { recursive: true });
  return wholeArchivePieces(file, pieceSize);
}

async function start(): Promise<string> {
  if (setup.mode !== 'bare-tls') {
    const server = new ArchiveServer({ logger: silentLogger(), tls: setup.serverTls });
    const source: PieceSource =
      setup.mode === 'airlift-file'
        ? await fromFile()
        : { pieceCount, piece: (index) => Promise.resolve(piece(index)) };
    server.registerPieces(setup.archiveId, source, { kind: 'nodes', names: new Set(['receiver']) });
    return server.start();
  }
  const server = createServer(
    { ca: setup.serverTls.ca, cert: setup.serverTls.cert, key: setup.serverTls.key, requestCert: true },
    (socket) => void sendFrames(socket),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
}

const address = await start();
// From here on: serving only (not writing the file the airlift-file mode serves from).
const cpuAtStart = process.cpuUsage();
process.send?.({ address });
process.on('message', () => {
  const used = process.cpuUsage(cpuAtStart);
  process.send?.({ cpuMs: (used.user + used.system) / 1000 }, () => process.exit(0));
});
