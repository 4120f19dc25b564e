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

/**
 * The operator's flags for a run, so `airlift resume` runs it again the same way. Every field is
 * optional: records written before they existed stay readable. No credentials: paths and addresses only.
 */
const runParameters = z.object({
  timeoutMs: z.number().int().positive().optional(),
  distribution: z.enum(['chain', 'tree', 'star']).optional(),
  stripes: z.number().int().positive().optional(),
  pieceSize: z.number().int().positive().optional(),
  allowHintMismatch: z.boolean().optional(),
  listen: z.string().optional(),
  advertise: z.string().optional(),
  streamListen: z.string().optional(),
  helm: z.string().optional(),
  kubectl: z.string().optional(),
  kubeconfig: z.string().optional(),
  kubeContext: z.string().optional(),
  /** `upgrade --from-repo REPO/CHART`: the chart came from that helm repository. */
  fromRepo: z.string().optional(),
  /** `--repo-url`: where `helm repo add` finds the repository when helm lacks it. */
  repoUrl: z.string().optional(),
  /** `upgrade --images registry`: nodes checked the registry instead of loading the bundle's images. */
  images: z.enum(['bundle', 'registry']).optional(),
  /** `--pre-pull` with `--images registry`. */
  prePull: z.boolean().optional(),
  /** `--registry-plain-http` with `--images registry`. */
  registryPlainHttp: z.boolean().optional(),
});
export type RunParameters = z.infer<typeof runParameters>;

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
  /** Absent in records written before `airlift resume` reused them. */
  parameters: runParameters.optional(),
  startedAt: z.string(),
  updatedAt: z.string(),
  phase: z.enum(RUN_PHASES),
  nodes: z.record(z.string().regex(NODE_NAME), nodeState),
  failure: z.object({ phase: z.string(), message: z.string() }).optional(),
  /** The release's revision (`helm status` `version`) before the run changed anything: where `airlift rollback` goes. */
  revisionBefore: z.number().int().nonnegative().optional(),
  /** `airlift rollback` of this run: the revision it rolled back to, when, and how it ended. */
  rollback: z
    .object({
      revision: z.number().int().nonnegative(),
      at: z.string(),
      outcome: z.enum(['done', 'failed']),
      message: z.string().optional(),
    })
    .optional(),
});
export type RunState = z.infer<typeof runStateSchema>;
