import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Bus } from '../../shared/bus/bus.js';
import type {
  CheckRegistryImagesPayloadInput,
  JobEvent,
  LoadImagesPayloadInput,
} from '../../shared/control/index.js';
import type { TrustContext } from '../../shared/trust/index.js';
import type { FleetRegistry } from '../fleet/index.js';
import { watchAgents } from './agent-watch.js';
import { JobSender } from './job-sender.js';
import { NodeTracker, type NodeOutcome } from './node-tracker.js';
import { listenForRunEvents } from './run-events.js';
import type { RunStore } from './run-store.js';

export type { NodeOutcome } from './node-tracker.js';

/** Everything the distribution step needs. */
export interface DistributeInput {
  readonly bus: Bus;
  readonly fleet: FleetRegistry;
  readonly store: RunStore;
  /** How jobs are signed and whose acks and events count. */
  readonly trust: TrustContext;
  readonly runId: string;
  readonly nodes: readonly string[];
  /** Each node's job payload: the same archive and plan, its own list of piece sources. */
  readonly payloadFor?: (node: string) => LoadImagesPayloadInput;
  /** `--images registry`: every node checks (and with --pre-pull pulls) the images at the registry instead. */
  readonly registryPayload?: CheckRegistryImagesPayloadInput;
  /** Give up on nodes that have not reported after this long. */
  readonly timeoutMs: number;
  readonly ackTimeoutMs: number;
  /** How often to check that agents with a running job are still alive. */
  readonly livenessCheckMs: number;
  /** Times a node's job is sent again after its agent restarted (default 3). */
  readonly maxResends?: number;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** Every event as it arrives, for live progress. */
  readonly onEvent?: (event: JobEvent) => void;
  /** Things the operator should know about a node while the run goes on (a restart, a re-sent job). */
  readonly onNotice?: (node: string, message: string) => void;
}

/**
 * Sends the load-images job to every node at once and collects their reports. A node fails when it
 * refuses the job, does not answer, goes down mid-run, reports a failure, or runs past the timeout;
 * a node whose agent restarted mid-job gets its job again.
 */
export async function distribute(input: DistributeInput): Promise<NodeOutcome[]> {
  const log = input.logger.child({ component: 'distribute', runId: input.runId });
  const tracker = new NodeTracker(input.nodes, input.store);
  const sender = new JobSender({ ...input, logger: log });
  const indexOf = new Map(input.nodes.map((node, index) => [node, index]));
  const send = async (node: string, attempt: number): Promise<void> => {
    const result = await sender.send(node, indexOf.get(node) ?? 0, attempt);
    if (!result.accepted) tracker.finish({ node, ok: false, problem: result.problem });
    // The report may have overtaken the ack: never turn a finished node back into a running one.
    else if (tracker.isPending(node)) input.store.node(node, { status: 'running', phase: 'accepted' });
  };
  const events = listenForRunEvents({ ...input, tracker, live: sender.live, logger: log });
  const agents = await watchAgents({
    fleet: input.fleet,
    tracker,
    live: sender.live,
    livenessCheckMs: input.livenessCheckMs,
    maxResends: input.maxResends ?? 3,
    logger: log,
    resend: (node, attempt, why) => {
      input.onNotice?.(node, `${why}; job sent again (attempt ${attempt + 1})`);
      void send(node, attempt);
    },
  });
  const stopTimers = failLateNodes(input, tracker);
  try {
    await sendAll(input.nodes, tracker, (node) => send(node, 0));
    await tracker.allDone;
  } finally {
    stopTimers();
    agents.stop();
    events.unsubscribe();
  }
  return tracker.results();
}

/** Jobs per turn of the event loop: signing and writing 1,000 jobs in one go kept acks unread for 1 s. */
const SEND_BATCH = 64;

/** Sends every pending node its first job, a batch per turn, so acks and events are read meanwhile. */
async function sendAll(
  nodes: readonly string[],
  tracker: NodeTracker,
  send: (node: string) => Promise<void>,
): Promise<void> {
  const sending: Promise<void>[] = [];
  for (let i = 0; i < nodes.length; i += SEND_BATCH) {
    if (i > 0) await setImmediatePromise();
    for (const node of nodes.slice(i, i + SEND_BATCH)) if (tracker.isPending(node)) sending.push(send(node));
  }
  await Promise.all(sending);
}

/** Fails what is still out at --timeout, or at once when the run is interrupted; returns the undo. */
function failLateNodes(input: DistributeInput, tracker: NodeTracker): () => void {
  const timeout = setTimeout(() => {
    for (const node of tracker.stillPending()) {
      tracker.finish({
        node,
        ok: false,
        problem: `no report within ${Math.round(input.timeoutMs / 1000)} s (--timeout)`,
      });
    }
  }, input.timeoutMs);
  const onAbort = (): void => {
    for (const node of tracker.stillPending())
      tracker.finish({ node, ok: false, problem: 'run interrupted' });
  };
  input.signal.addEventListener('abort', onAbort, { once: true });
  if (input.signal.aborted) onAbort();
  return () => {
    clearTimeout(timeout);
    input.signal.removeEventListener('abort', onAbort);
  };
}
