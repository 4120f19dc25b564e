import type { Logger } from 'pino';
import type { Bus } from '../../shared/bus/bus.js';
import {
  Subjects,
  decodeMessage,
  encodeMessage,
  jobAckSchema,
  jobEventSchema,
  type JobInput,
  type JobEvent,
  type LoadImagesPayloadInput,
} from '../../shared/control/index.js';
import type { NodeLoadReport } from '../../shared/node-job/index.js';
import type { FleetRegistry } from '../fleet/index.js';
import type { RunStore } from './run-store.js';

/** How one node ended its part of the run. */
export interface NodeOutcome {
  readonly node: string;
  readonly ok: boolean;
  readonly report?: NodeLoadReport;
  /** Why the node failed, in one line an operator can act on. */
  readonly problem?: string;
  /** When the coordinator learned the outcome (ISO time): the node's finish line, for timings. */
  readonly settledAt?: string;
}

/** Everything the distribution step needs. */
export interface DistributeInput {
  readonly bus: Bus;
  readonly fleet: FleetRegistry;
  readonly store: RunStore;
  readonly runId: string;
  readonly nodes: readonly string[];
  /** Each node's job payload: the same archive and plan, its own list of piece sources. */
  readonly payloadFor: (node: string) => LoadImagesPayloadInput;
  /** Give up on nodes that have not reported after this long. */
  readonly timeoutMs: number;
  readonly ackTimeoutMs: number;
  /** How often to check that agents with a running job are still alive. */
  readonly livenessCheckMs: number;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** Every event as it arrives, for live progress. */
  readonly onEvent?: (event: JobEvent) => void;
}

/**
 * Sends the load-images job to every node at once and collects their reports. A node fails when it
 * refuses the job, does not answer, goes down mid-run, reports a failure, or runs past the timeout.
 */
export async function distribute(input: DistributeInput): Promise<NodeOutcome[]> {
  const log = input.logger.child({ component: 'distribute', runId: input.runId });
  const outcomes = new Map<string, NodeOutcome>();
  const pending = new Set(input.nodes);
  let settle: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (settle = resolve));
  const finish = (outcome: NodeOutcome): void => {
    if (!pending.delete(outcome.node)) return;
    outcomes.set(outcome.node, { ...outcome, settledAt: new Date().toISOString() });
    input.store.node(outcome.node, {
      status: outcome.ok ? 'verified' : 'failed',
      ...(outcome.report === undefined
        ? {}
        : { verified: outcome.report.images.filter((i) => i.verified).length }),
      ...(outcome.problem === undefined ? {} : { problem: outcome.problem }),
    });
    if (pending.size === 0) settle();
  };

  const subscription = input.bus.subscribe(Subjects.runEvents(input.runId), (message) => {
    let event: JobEvent;
    try {
      event = decodeMessage(jobEventSchema, message.subject, message.data);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'ignoring a malformed event');
      return;
    }
    if (!pending.has(event.node)) return;
    input.onEvent?.(event);
    const body = event.body;
    if (body.type === 'phase') input.store.node(event.node, { phase: body.phase });
    else if (body.type === 'progress') input.store.node(event.node, { bytesDone: body.bytesDone });
    else finish({ node: event.node, ok: body.report.ok, report: body.report, ...failureOf(body.report) });
  });

  const liveness = setInterval(() => {
    void (async () => {
      for (const node of pending) {
        const row = await input.fleet.get(node).catch(() => undefined);
        if (row?.health === 'down') {
          finish({
            node,
            ok: false,
            problem: `agent stopped answering during the run (last heartbeat ${Math.round(row.ageMs / 1000)} s ago)`,
          });
        }
      }
    })();
  }, input.livenessCheckMs);
  const timeout = setTimeout(() => {
    for (const node of [...pending]) {
      finish({
        node,
        ok: false,
        problem: `no report within ${Math.round(input.timeoutMs / 1000)} s (--timeout)`,
      });
    }
  }, input.timeoutMs);
  const onAbort = (): void => {
    for (const node of [...pending]) finish({ node, ok: false, problem: 'run interrupted' });
  };
  input.signal.addEventListener('abort', onAbort, { once: true });
  if (input.signal.aborted) onAbort();

  try {
    await Promise.all(
      input.nodes.map((node, index) =>
        pending.has(node)
          ? sendJob(input, node, index, finish, (n) => pending.has(n), log)
          : Promise.resolve(),
      ),
    );
    if (pending.size > 0) await allDone;
  } finally {
    clearInterval(liveness);
    clearTimeout(timeout);
    input.signal.removeEventListener('abort', onAbort);
    subscription.unsubscribe();
  }
  return input.nodes.map((node) => outcomes.get(node) ?? { node, ok: false, problem: 'no outcome' });
}

async function sendJob(
  input: DistributeInput,
  node: string,
  index: number,
  finish: (outcome: NodeOutcome) => void,
  isPending: (node: string) => boolean,
  log: Logger,
): Promise<void> {
  const job: JobInput = {
    v: 1,
    kind: 'load-images',
    jobId: `${input.runId}-n${index}`,
    runId: input.runId,
    node,
    issuedAt: new Date().toISOString(),
    payload: input.payloadFor(node),
  };
  const subject = Subjects.job(node);
  try {
    const reply = await input.bus.request(subject, encodeMessage(job), input.ackTimeoutMs);
    const ack = decodeMessage(jobAckSchema, subject, reply);
    if (!ack.accepted) {
      finish({ node, ok: false, problem: `agent refused the job: ${ack.reason ?? 'no reason given'}` });
      return;
    }
    // The report may have overtaken the ack: never turn a finished node back into a running one.
    if (isPending(node)) input.store.node(node, { status: 'running', phase: 'accepted' });
    log.info({ node, jobId: job.jobId }, 'job accepted');
  } catch (err) {
    finish({ node, ok: false, problem: `job not delivered: ${(err as Error).message}` });
  }
}

function failureOf(report: NodeLoadReport): { problem?: string } {
  if (report.ok) return {};
  if (report.error !== undefined) return { problem: `${report.error.code}: ${report.error.message}` };
  const bad = report.images.filter((image) => !image.verified);
  const first = bad[0];
  return {
    problem: `${bad.length} of ${report.images.length} references not verified${first === undefined ? '' : `; first: ${first.target}: ${first.problem ?? 'not verified'}`}`,
  };
}
