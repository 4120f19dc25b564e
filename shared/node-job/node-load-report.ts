import { z } from 'zod';

/** The outcome for one expected reference on one node. */
export const imageLoadOutcomeSchema = z.object({
  source: z.string(),
  target: z.string(),
  configDigest: z.string(),
  /** The runtime holds `source` after the load. */
  loaded: z.boolean(),
  /** `target` was tagged (true as well when source and target are the same reference). */
  retagged: z.boolean(),
  /** `target` exists, points at `configDigest`, and is complete and unpacked. */
  verified: z.boolean(),
  /** What the runtime holds under `target`, when it is something else. */
  foundDigest: z.string().optional(),
  problem: z.string().optional(),
  /** Registry mode: the node's runtime resolved the reference at its registry. */
  resolved: z.boolean().optional(),
  /** Registry mode: the node pulled the image from its registry (--pre-pull). */
  pulled: z.boolean().optional(),
  /** Registry mode: the manifest (or index) digest the registry answered with. */
  manifestDigest: z.string().optional(),
});
export type ImageLoadOutcome = z.infer<typeof imageLoadOutcomeSchema>;

/** What a node did with one archive: the proof the coordinator's barrier checks. Sent over the bus as is. */
export const nodeLoadReportSchema = z.object({
  node: z.string(),
  runtime: z.object({
    kind: z.string(),
    version: z.string(),
    endpoint: z.string(),
    namespace: z.string().optional(),
  }),
  bytesLoaded: z.number().nonnegative(),
  loadMs: z.number().nonnegative(),
  totalMs: z.number().nonnegative(),
  images: z.array(imageLoadOutcomeSchema).readonly(),
  /** True only when every expected reference is verified. */
  ok: z.boolean(),
  /** How the archive arrived (absent when the load was skipped or ran from a local file). */
  transfer: z
    .object({
      piecesReceived: z.number().int().nonnegative(),
      bytesReceived: z.number().nonnegative(),
      /** Pieces whose digest did not match: dropped and fetched again from another source. */
      corruptPieces: z.number().int().nonnegative(),
      sourceSwitches: z.number().int().nonnegative(),
      bytesFromSource: z.record(z.string(), z.number()),
      /** Pieces already on disk from an interrupted earlier attempt. */
      resumedPieces: z.number().int().nonnegative(),
    })
    .optional(),
  /** The failure that stopped the job before verification, if any. */
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type NodeLoadReport = z.infer<typeof nodeLoadReportSchema>;
