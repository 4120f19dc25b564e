import type { Logger } from 'pino';
import type { Bus, BusSubscription } from '../../shared/bus/bus.js';
import { Subjects, jobEventSchema, type JobEvent } from '../../shared/control/index.js';
import type { NodeLoadReport } from '../../shared/node-job/index.js';
import { openMessage, type TrustContext } from '../../shared/trust/index.js';
import type { LiveJob } from './job-sender.js';
import type { NodeTracker } from './node-tracker.js';
import type { RunStore } from './run-store.js';

/** What the listener needs to tell a node's own events from anything else on the run's subjects. */
export interface RunEventsInput {
  readonly bus: Bus;
  readonly trust: TrustContext;
  readonly runId: string;
  readonly tracker: NodeTracker;
  readonly store: RunStore;
  /** The job each node runs now: an event for any other job (an old attempt, a replay) is dropped. */
  readonly live: ReadonlyMap<string, LiveJob>;
  readonly logger: Logger;
  readonly onEvent?: (event: JobEvent) => void;
}

/**
 * Listens to the run's events and applies those that are a node's own: signed by that node, on that
 * node's subject, for the job it runs now. Anything else is logged and dropped, so a forged or
 * replayed report can never pass the barrier.
 */
export function listenForRunEvents(input: RunEventsInput): BusSubscription {
  const log = input.logger.child({ component: 'run-events', runId: input.runId });
  return input.bus.subscribe(Subjects.runEvents(input.runId), (message) => {
    let event: JobEvent;
    try {
      event = checkEvent(input, message.subject, message.data);
    } catch (err) {
      log.warn({ subject: message.subject, err: (err as Error).message }, 'event refused');
      return;
    }
    if (!input.tracker.isPending(event.node)) return;
    input.onEvent?.(event);
    const body = event.body;
    if (body.type === 'phase') input.store.node(event.node, { phase: body.phase });
    else if (body.type === 'progress') input.store.node(event.node, { bytesDone: body.bytesDone });
    else
      input.tracker.finish({
        node: event.node,
        ok: body.report.ok,
        report: body.report,
        ...failureOf(body.report),
      });
  });
}

function checkEvent(input: RunEventsInput, subject: string, data: Uint8Array): JobEvent {
  const { message: event, signer } = openMessage(jobEventSchema, 'event', subject, data, input.trust.policy);
  if (!input.trust.insecure && signer !== event.node) {
    throw new Error(`an event of ${event.node} signed by ${signer ?? 'nobody'}`);
  }
  if (subject !== Subjects.events(input.runId, event.node) || event.runId !== input.runId) {
    throw new Error(`an event of ${event.node} for run ${event.runId} on ${subject}`);
  }
  const live = input.live.get(event.node);
  if (live === undefined || live.jobId !== event.jobId) {
    throw new Error(
      `an event of ${event.node} for job ${event.jobId}, which is not the job it runs (${live?.jobId ?? 'none'})`,
    );
  }
  if (event.body.type === 'report' && event.body.report.node !== event.node) {
    throw new Error(`a report naming ${event.body.report.node} sent by ${event.node}`);
  }
  return event;
}

/** Why a report says a node failed, in one line. */
export function failureOf(report: NodeLoadReport): { problem?: string } {
  if (report.ok) return {};
  if (report.error !== undefined) return { problem: `${report.error.code}: ${report.error.message}` };
  const bad = report.images.filter((image) => !image.verified);
  const first = bad[0];
  return {
    problem: `${bad.length} of ${report.images.length} references not verified${first === undefined ? '' : `; first: ${first.target}: ${first.problem ?? 'not verified'}`}`,
  };
}
