// Not a test: a child process for process-registry.integration.test.ts. It starts instances (with
// running containers), prints what they are, and then dies the way a broken test run does, without
// ever calling stop().
// Usage: node abandon-instances.js throw|wait

import { startContainerd } from '../helpers/containerd-instance.js';
import { startDockerd } from '../helpers/dockerd-instance.js';
import { runDockerSleeper, runSleeper } from './sleeper-container.js';

const mode = process.argv[2];

const containerd = await startContainerd();
const sleeper = await runSleeper(containerd, 'abandoned');
const dockerd = await startDockerd();
const dockerSleeper = await runDockerSleeper(dockerd);
process.stdout.write(
  `${JSON.stringify({
    pids: [
      ...[containerd.pid, sleeper.shimPid, sleeper.pid],
      ...[dockerd.pid, dockerd.containerd.pid, dockerSleeper.shimPid, dockerSleeper.pid],
    ],
    dirs: [containerd.dir, dockerd.dir, dockerd.containerd.dir],
    sockets: [
      ...[containerd.address, sleeper.shimSocket],
      ...[dockerd.socketPath, dockerd.containerd.address, dockerSleeper.shimSocket],
    ],
  })}\n`,
);

if (mode === 'throw') {
  throw new Error('abandoning instances on purpose');
}
// 'wait': stay alive until the parent signals us.
setInterval(() => undefined, 60_000);
