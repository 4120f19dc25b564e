// `npm run bench:transport -- [sizeMiB=512] [pieceKiB=4096]`: what one piece stream costs per MiB on
// each side, over mutual TLS with fleet certificates: airlift's own path (ArchiveServer, fetchPieces),
// serving from memory and from a file as the coordinator does, against bare frames on a TLS socket
// with no protocol around them (the floor). The receiver hashes
// every piece (sha256) as a node does. Sender and receiver are separate processes on loopback; CPU is
// user + system per process. Not a test.
import { createHash } from 'node:crypto';
import { fork } from 'node:child_process';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { createFleetCa, issueCertificate } from '../../../coordinator/fleet-setup/pki.js';
import { fetchPieces, type DataPlaneTls } from '../../../shared/data-plane/index.js';
import type { TransportBenchSetup } from './transport-setup.js';

const sizeMiB = Number(process.argv[2] ?? 512);
const pieceKiB = Number(process.argv[3] ?? 4096);
const ARCHIVE_ID = 'a'.repeat(64);

async function fleetTls(): Promise<{ server: DataPlaneTls; client: DataPlaneTls }> {
  const ca = await createFleetCa('bench');
  const server = await issueCertificate(ca, { role: 'coordinator', name: 'coordinator' });
  const client = await issueCertificate(ca, { role: 'agent', name: 'receiver' });
  return {
    server: { ca: ca.certPem, cert: server.certPem, key: server.keyPem },
    client: { ca: ca.certPem, cert: client.certPem, key: client.keyPem },
  };
}

async function receiveAirlift(address: string, tls: DataPlaneTls): Promise<number> {
  let bytes = 0;
  const pieces = fetchPieces(
    address,
    { archiveId: ARCHIVE_ID, fromPiece: 0, node: 'receiver', runId: 'bench' },
    { tls, expectedPeer: 'coordinator' },
  );
  for await (const piece of pieces) {
    createHash('sha256').update(piece.data).digest();
    bytes += piece.data.length;
  }
  return bytes;
}

async function receiveStream(address: string, tls: DataPlaneTls): Promise<number> {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  const socket = connect({
    host,
    port,
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    servername: 'airlift-data-plane',
    checkServerIdentity: () => undefined,
  });
  let bytes = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let need = 8;
  let inHeader = true;
  let hash = createHash('sha256');
  // Hash as the bytes arrive: no copy into a piece buffer.
  for await (const chunk of socket as AsyncIterable<Buffer>) {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(need, chunk.length - offset);
      const part = chunk.subarray(offset, offset + take);
      offset += take;
      need -= take;
      if (inHeader) {
        pending.push(part);
        pendingBytes += take;
        if (need === 0) {
          const header = Buffer.concat(pending, pendingBytes);
          need = header.readUInt32BE(4);
          inHeader = false;
          pending = [];
          pendingBytes = 0;
        }
      } else {
        hash.update(part);
        bytes += take;
        if (need === 0) {
          hash.digest();
          hash = createHash('sha256');
          inHeader = true;
          need = 8;
        }
      }
    }
  }
  return bytes;
}

async function run(
  mode: TransportBenchSetup['mode'],
  tls: { server: DataPlaneTls; client: DataPlaneTls },
): Promise<void> {
  const setup: TransportBenchSetup = {
    mode,
    sizeMiB,
    pieceKiB,
    archiveId: ARCHIVE_ID,
    serverTls: tls.server,
  };
  const child = fork(fileURLToPath(new URL('./transport-server.js', import.meta.url)), [
    JSON.stringify(setup),
  ]);
  try {
    const { address } = await new Promise<{ address: string }>((resolve) =>
      child.once('message', resolve as never),
    );
    const cpu = process.cpuUsage();
    const started = performance.now();
    const bytes =
      mode === 'bare-tls'
        ? await receiveStream(address, tls.client)
        : await receiveAirlift(address, tls.client);
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    child.send('cpu');
    const { cpuMs: senderMs } = await new Promise<{ cpuMs: number }>((resolve) =>
      child.once('message', resolve as never),
    );
    const mib = bytes / 1024 / 1024;
    const receiverMs = (used.user + used.system) / 1000;
    process.stdout.write(
      `${mode.padEnd(12)} ${mib.toFixed(0)} MiB in ${(wallMs / 1000).toFixed(2)} s (${(mib / (wallMs / 1000)).toFixed(0)} MiB/s)   receiver ${(receiverMs / mib).toFixed(2)} ms/MiB (incl. sha256)   sender ${(senderMs / mib).toFixed(2)} ms/MiB\n`,
    );
  } finally {
    child.kill();
  }
}

const tls = await fleetTls();
process.stdout.write(
  `transport bench: ${sizeMiB} MiB in ${pieceKiB} KiB pieces over mutual TLS on loopback\n`,
);
for (const mode of ['airlift', 'airlift-file', 'bare-tls', 'airlift', 'airlift-file', 'bare-tls'] as const)
  await run(mode, tls);
