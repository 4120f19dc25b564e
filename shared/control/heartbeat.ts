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

const diskSpace = z.object({
  path: z.string(),
  freeBytes: z.number().nonnegative(),
  totalBytes: z.number().nonnegative(),
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
  disk: diskSpace,
  /** The filesystem of the spool, where images.tar's pieces land before the import: it must fit S. */
  spool: diskSpace,
  /** A new id at every start of the agent process: a change tells the coordinator the agent restarted. */
  bootId: z.string().min(1),
  /** Whether this agent checks job signatures (`insecure` only under --insecure). */
  trust: z.enum(['signed', 'insecure']),
  /** Jobs this agent refused since it started (forged, unsigned, stale, replayed, for another node…). */
  refusals: z.object({
    total: z.number().int().nonnegative(),
    last: z.object({ at: z.string(), reason: z.string() }).optional(),
  }),
  /** host:port of the agent's gRPC endpoint. */
  grpcAddress: z.string(),
  job: currentJob.optional(),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;
