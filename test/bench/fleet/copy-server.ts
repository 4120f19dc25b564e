// Runs inside the coordinator's namespace (`ip netns exec … node copy-server.js HOST FILE`): sends FILE
// whole to every connection, as `scp FILE node:` from the coordinator does for each node, minus ssh's
// encryption (so the baseline it serves is, if anything, flattered). Prints `ready PORT` once listening.
import { createReadStream } from 'node:fs';
import { createServer } from 'node:net';
import { pipeline } from 'node:stream/promises';

const [host, file] = process.argv.slice(2);
if (host === undefined || file === undefined) {
  process.stderr.write('usage: copy-server HOST FILE\n');
  process.exit(2);
}

const server = createServer((socket) => {
  pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), socket).catch((error: unknown) => {
    process.stderr.write(`copy-server: ${String(error)}\n`);
    socket.destroy();
  });
});
server.listen(0, host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`ready ${port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  process.exit(0);
});
