import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { trackProcess } from '../../helpers/process-registry.js';
import {
  zeroCounters,
  type AgentCounters,
  type FromWorker,
  type JobTiming,
  type LoopDelay,
  type StartAgents,
} from './worker-protocol.js';

/** What the workers did, summed over them. */
export interface PoolSummary {
  readonly counters: AgentCounters;
  readonly cpuMs: number;
  readonly jobs: readonly JobTiming[];
  /** The worst worker's event-loop delay. */
  readonly loopDelay: LoopDelay;
}

/** The simulated agents, spread over worker processes. */
export interface AgentPool {
  readonly pids: readonly number[];
  /** Wall time until every agent of every worker had stored its first heartbeat. */
  readonly connectMs: number;
  /** Stops every agent and worker; the summed counters and the workers' CPU. Safe to call twice. */
  stop(): Promise<PoolSummary>;
  /** SIGKILLs whatever worker is still running (the failure path). */
  kill(): void;
}

/** What startAgentPool needs besides the identity files. */
export interface AgentPoolOptions extends Omit<StartAgents, 'type' | 'identityFiles'> {
  readonly workers: number;
  /** Bound on connecting every agent. */
  readonly readyTimeoutMs: number;
  /** Profile each worker's whole life (written when it exits) into this directory. */
  readonly cpuProfDir?: string | undefined;
  readonly log: (line: string) => void;
}

const WORKER = fileURLToPath(new URL('./agent-worker.js', import.meta.url));
const STOP_TIMEOUT_MS = 30_000;

/** Forks the workers, hands each its share of identities, and resolves once every agent is up. */
export async function startAgentPool(
  identityFiles: readonly string[],
  options: AgentPoolOptions,
): Promise<AgentPool> {
  const { workers, readyTimeoutMs, log, cpuProfDir, ...start } = options;
  const execArgv = cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', cpuProfDir];
  const children: ChildProcess[] = [];
  const kill = (): void => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const started = performance.now();
  try {
    const ready = Array.from({ length: workers }, (_, w) => {
      const share = identityFiles.filter((_, i) => i % workers === w);
      const child = fork(WORKER, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      const pid = child.pid;
      if (pid !== undefined) {
        const untrack = trackProcess(pid, `control-plane agent worker ${w}`);
        child.once('exit', untrack);
      }
      const message: StartAgents = { type: 'start', identityFiles: share, ...start };
      child.send(message);
      return nextMessage(child, readyTimeoutMs, `worker ${w} connecting ${share.length} agents`).then(
        (reply) => {
          if (reply.type !== 'ready') throw new Error(`worker ${w}: ${describe(reply)}`);
          log(`worker ${w}: ${reply.agents} agents up in ${(reply.connectMs / 1000).toFixed(1)} s`);
        },
      );
    });
    await Promise.all(ready);
  } catch (err) {
    kill();
    throw err;
  }
  const connectMs = Math.round(performance.now() - started);
  let stopping: Promise<PoolSummary> | undefined;
  return {
    pids: children.map((c) => c.pid ?? 0),
    connectMs,
    kill,
    stop() {
      stopping ??= stopAll(children, kill);
      return stopping;
    },
  };
}

async function stopAll(children: readonly ChildProcess[], kill: () => void): Promise<PoolSummary> {
  const counters = zeroCounters();
  let cpuMs = 0;
  const jobs: JobTiming[] = [];
  const loopDelay = { p99Ms: 0, maxMs: 0 };
  try {
    await Promise.all(
      children.map(async (child, w) => {
        if (child.exitCode !== null || !child.connected) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.send({ type: 'stop' });
        const reply = await nextMessage(child, STOP_TIMEOUT_MS, `worker ${w} stopping`);
        if (reply.type !== 'stopped') throw new Error(`worker ${w}: ${describe(reply)}`);
        for (const key of Object.keys(counters) as (keyof AgentCounters)[])
          counters[key] += reply.counters[key];
        cpuMs += reply.cpuMs;
        jobs.push(...reply.jobs);
        loopDelay.p99Ms = Math.max(loopDelay.p99Ms, reply.loopDelay.p99Ms);
        loopDelay.maxMs = Math.max(loopDelay.maxMs, reply.loopDelay.maxMs);
        await exited;
      }),
    );
  } finally {
    kill();
  }
  return { counters, cpuMs, jobs, loopDelay };
}

function nextMessage(child: ChildProcess, timeoutMs: number, what: string): Promise<FromWorker> {
  return new Promise<FromWorker>((resolve, reject) => {
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what}: no answer within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    const onMessage = (message: FromWorker): void => {
      done();
      resolve(message);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      done();
      reject(new Error(`${what}: the worker exited (${signal ?? `code ${code ?? '?'}`})`));
    };
    const done = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function describe(message: FromWorker): string {
  return message.type === 'failed' ? message.message : `unexpected ${message.type}`;
}
