// Not a test: a child process for nats-instance.integration.test.ts. It starts nats-server (and
// restarts it once, so the tracked process is the second one), prints what it started, then dies the
// way a broken test run does, without ever calling stop().

import { startNats } from '../../helpers/nats-instance.js';

const nats = await startNats();
const firstPid = nats.pid();
await nats.restart();
process.stdout.write(`${JSON.stringify({ pids: [firstPid, nats.pid()], dir: nats.dir })}\n`);
throw new Error('abandoning nats-server on purpose');
