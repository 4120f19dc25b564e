import { Subjects, type JobEvent, type JobEventBody } from '../../shared/control/index.js';
import { seal, type Sealer } from '../../shared/trust/index.js';

/**
 * Publishes one job's events on the node's own subject, numbered from 0 and signed as the node, so the
 * coordinator can tell order and gaps and no other node can report for this one.
 */
export function jobEventPublisher(
  job: { readonly runId: string; readonly jobId: string },
  node: string,
  sealer: Sealer,
  publish: (subject: string, data: Uint8Array) => void,
): (body: JobEventBody) => void {
  let seq = 0;
  const subject = Subjects.events(job.runId, node);
  return (body) => {
    const event: JobEvent = {
      v: 1,
      runId: job.runId,
      jobId: job.jobId,
      node,
      seq: seq++,
      at: new Date().toISOString(),
      body,
    };
    publish(subject, seal('event', event, sealer));
  };
}
