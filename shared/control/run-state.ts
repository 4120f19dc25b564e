import { z } from 'zod';
import { NODE_NAME } from './subjects.js';

/** Phases of an upgrade run, in order; `failed` and `done` end it. */
export const RUN_PHASES = [
  'preflight',
  'distributing',
  'barrier',
  'backup',
  'crds',
  'upgrade',
  'done',
  'failed',
] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

const nodeState = z.object({
  status: z.enum(['pending', 'running', 'verified', 'failed']),
  phase: z.string(),
  bytesDone: z.number().nonnegative(),
  bytesTotal: z.number().nonnegative(),
  verified: z.number().int().nonnegative(),
  expected: z.number().int().nonnegative(),
  problem: z.string().optional(),
});
export type NodeRunState = z.infer<typeof nodeState>;

/** One upgrade run as stored in the runs bucket: what another `airlift` process reads. */
export const runStateSchema = z.object({
  v: z.literal(1),
  runId: z.string(),
  release: z.string(),
  namespace: z.string(),
  bundle: z.string(),
  chartVersion: z.string(),
  /** `--version` as the operator gave it, so `airlift resume` passes the same. */
  version: z.string().optional(),
  imageRegistry: z.string(),
  runDir: z.string(),
  startedAt: z.string(),
  updatedAt: z.string(),
  phase: z.enum(RUN_PHASES),
  nodes: z.record(z.string().regex(NODE_NAME), nodeState),
  failure: z.object({ phase: z.string(), message: z.string() }).optional(),
});
export type RunState = z.infer<typeof runStateSchema>;
