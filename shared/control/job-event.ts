import { z } from 'zod';
import { nodeLoadReportSchema } from '../node-job/index.js';
import { NODE_NAME } from './subjects.js';

/**
 * Phases a node job goes through, in order. `importing`: every byte of the archive has arrived and the
 * runtime is still importing it (a skipped load goes from `accepted` straight to `verifying`).
 */
export const NODE_PHASES = ['accepted', 'loading', 'importing', 'verifying', 'done'] as const;
export type NodePhase = (typeof NODE_PHASES)[number];

const eventBody = z.discriminatedUnion('type', [
  z.object({ type: z.literal('phase'), phase: z.enum(NODE_PHASES) }),
  z.object({
    type: z.literal('progress'),
    bytesDone: z.number().nonnegative(),
    bytesTotal: z.number().nonnegative(),
    /** Bytes per second over the last interval. */
    rate: z.number().nonnegative(),
  }),
  z.object({ type: z.literal('report'), report: nodeLoadReportSchema }),
]);

/** One event an agent publishes about a job, numbered so a reader can tell order and gaps. */
export const jobEventSchema = z.object({
  v: z.literal(1),
  runId: z.string(),
  jobId: z.string(),
  node: z.string().regex(NODE_NAME),
  seq: z.number().int().nonnegative(),
  at: z.string(),
  body: eventBody,
});
export type JobEvent = z.infer<typeof jobEventSchema>;
export type JobEventBody = z.infer<typeof eventBody>;
