import { z } from 'zod';
import { NODE_NAME } from './subjects.js';

const runtimeFacts = z.object({
  kind: z.enum(['docker', 'containerd']),
  version: z.string(),
  endpoint: z.string(),
  namespace: z.string().optional(),
  /** The runtime answered its last probe. */
  ok: z.boolean(),
  error: z.string().optional(),
});

const currentJob = z.object({
  jobId: z.string(),
  runId: z.string(),
  phase: z.string(),
  bytesDone: z.number().nonnegative(),
  bytesTotal: z.number().nonnegative(),
  startedAt: z.string(),
});

/** What an agent says about itself every few seconds; the fleet registry stores the latest per node. */
export const heartbeatSchema = z.object({
  v: z.literal(1),
  node: z.string().regex(NODE_NAME),
  agentVersion: z.string(),
  startedAt: z.string(),
  sentAt: z.string(),
  /** How often this agent beats, so readers judge staleness by the agent's own rhythm. */
  intervalMs: z.number().int().positive(),
  state: z.enum(['ready', 'busy', 'draining', 'stopped']),
  runtime: runtimeFacts,
  disk: z.object({
    path: z.string(),
    freeBytes: z.number().nonnegative(),
    totalBytes: z.number().nonnegative(),
  }),
  /** host:port of the agent's gRPC endpoint. */
  grpcAddress: z.string(),
  job: currentJob.optional(),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;
