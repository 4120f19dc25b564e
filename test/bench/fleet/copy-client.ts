// Runs inside a node's namespace (`ip netns exec … node copy-client.js HOST PORT OUT`): receives one
// whole file from copy-server into OUT, then prints `{"bytes":…,"seconds":…}`.
import { createWriteStream } from 'node:fs';
import { connect } from 'node:net';
import { pipeline } from 'node:stream/promises';

const [host, port, out] = process.argv.slice(2);
if (host === undefined || port === undefined || out === undefined) {
  process.stderr.write('usage: copy-client HOST PORT OUT\n');
  process.exit(2);
}

const started = performance.now();
const socket = connect(Number(port), host);
const file = createWriteStream(out);
await pipeline(socket, file);
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ bytes: file.bytesWritten, seconds })}\n`);
