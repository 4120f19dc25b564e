// One worker process of the control-plane bench: hosts a share of the simulated agents, each with its
// own NATS connection and identity, so the agents are not limited by a single event loop. Driven by
// main.ts over IPC (worker-protocol.ts); exits when its parent goes away.
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { createLogger } from '../../../shared/logging/index.js';
import { SimAgent } from './sim-agent.js';
import {
  zeroCounters,
  type FromWorker,
  type JobTiming,
  type StartAgents,
  type ToWorker,
} from './worker-protocol.js';

const counters = zeroCounters();
const agents: SimAgent[] = [];
const jobs: JobTiming[] = [];
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
// Warnings (a refused job, a heartbeat not stored) go to the bench's stderr; info would be 1,000 lines.
const logger = createLogger({ level: process.env.AIRLIFT_LOG_LEVEL ?? 'warn' });

function send(message: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) resolve();
    else
      process.send(message, undefined, {}, () => {
        resolve();
      });
  });
}

async function start(request: StartAgents): Promise<void> {
  const started = performance.now();
  const files = [...request.identityFiles];
  let next = 0;
  // A few connects at a time: a thousand TLS handshakes at once would time out and measure only that.
  const connectSome = async (): Promise<void> => {
    for (let i = next++; i < files.length; i = next++) {
      const file = files[i];
      if (file === undefined) continue;
      const settings = {
        identityFile: file,
        natsUrl: request.natsUrl,
        heartbeatMs: request.heartbeatMs,
        jobMs: request.jobMs,
        spoolRoot: request.spoolRoot,
        counters,
        jobs,
        logger,
      };
      agents.push(await SimAgent.start(settings, indexOf(file)));
    }
  };
  await Promise.all(Array.from({ length: request.connectConcurrency }, connectSome));
  await send({ type: 'ready', agents: agents.length, connectMs: Math.round(performance.now() - started) });
}

/** The node's position in the fleet, from its file name (node-0042.json → 42), for a unique address. */
function indexOf(file: string): number {
  return Number(/(\d+)\.json$/.exec(file)?.[1] ?? 0);
}

async function stop(): Promise<void> {
  await Promise.all(agents.map((agent) => agent.stop().catch(() => undefined)));
  const cpu = process.cpuUsage();
  loop.disable();
  await send({
    type: 'stopped',
    counters,
    jobs,
    loopDelay: { p99Ms: Math.round(loop.percentile(99) / 1e6), maxMs: Math.round(loop.max / 1e6) },
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
  });
  process.exit(0);
}

process.on('message', (message: ToWorker) => {
  const work = message.type === 'start' ? start(message) : stop();
  work.catch(async (err: unknown) => {
    await send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  });
});
// The bench is gone (crashed, killed): nothing to report to, so nothing to keep alive.
process.on('disconnect', () => {
  process.exit(0);
});
