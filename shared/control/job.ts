import { z } from 'zod';
import { wirePieceManifestSchema } from '../pieces/piece-manifest.js';
import { COORDINATOR_NAME, NODE_NAME, RUN_ID } from './subjects.js';

/** Most stripes a job may split its pieces into: each is one more stream per node. */
export const MAX_STRIPES = 16;

const digest = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'expected sha256:<64 hex>');

/** The retag plan as the coordinator computed it; every node applies exactly this. */
export const retagPlanSchema = z.object({
  entries: z.array(z.object({ source: z.string(), target: z.string(), configDigest: digest })).min(1),
  unnamedImages: z.array(z.string()),
});

const blockAligned = z
  .number()
  .int()
  .nonnegative()
  .refine((n) => n % 512 === 0, 'expected a multiple of 512 (tar blocks)');

/** One staged import: byte spans of images.tar, ascending and disjoint, and the manifest.json naming its images. */
export const importPartSchema = z.object({
  spans: z
    .array(z.object({ offset: blockAligned, length: blockAligned.refine((n) => n > 0, 'expected > 0') }))
    .min(1)
    .superRefine((spans, ctx) => {
      let end = 0;
      for (const [i, span] of spans.entries()) {
        if (span.offset < end) {
          ctx.addIssue({
            code: 'custom',
            path: [i, 'offset'],
            message: 'spans must be ascending and disjoint',
          });
        }
        end = span.offset + span.length;
      }
    }),
  dockerManifest: z.string().min(2),
});

/** A node (or the coordinator) serving pieces, and the gRPC address it serves them on. */
export const pieceSourceSchema = z.object({
  address: z.string().min(1),
  name: z.union([z.string().regex(NODE_NAME), z.literal(COORDINATOR_NAME)]),
});
export type PieceSourceRef = z.infer<typeof pieceSourceSchema>;

/** Where and what images.tar is: enough to fetch it, check it and make it loadable by either runtime. */
export const archiveDescriptorSchema = z
  .object({
    /** Names the archive on the data plane (the sha256 hex of images.tar). */
    id: z.string().regex(/^[a-f0-9]{64}$/),
    size: z.number().int().positive(),
    sha256: digest,
    format: z.enum(['go-containerregistry', 'docker-save', 'oci-layout']),
    /** Where the members end: dockerManifest replaces the end-of-archive marker there. */
    entriesEnd: z.number().int().nonnegative(),
    /**
     * A docker manifest.json naming every image by its references and retag targets, appended to the
     * stream so the import tags the targets itself (and Docker can load an OCI layout).
     */
    dockerManifest: z.string().optional(),
    /**
     * Staged import (planImportParts): parts the node imports one after another, each as soon as its
     * members are held, instead of the whole archive after its last byte. Absent: one import.
     */
    importParts: z.array(importPartSchema).min(2).optional(),
    /** Piece size and per-piece digests: every receiver checks each piece before importing or forwarding it. */
    manifest: wirePieceManifestSchema,
    /**
     * Where pieces come from, per stripe: stripes[s] lists piece sources in order of preference
     * (planned peer first, coordinator last) for the pieces whose index % stripes.length is s. One
     * stripe (a chain, a star) carries every piece. `name` is who must answer at `address`: with mutual
     * TLS the receiver refuses a server whose certificate names anyone else.
     */
    stripes: z.array(z.array(pieceSourceSchema).min(1)).min(1).max(MAX_STRIPES),
    /** The nodes allowed to fetch from the agent running this job: those whose stripes list it. */
    servesTo: z.array(z.string().regex(NODE_NAME)),
  })
  .superRefine((archive, ctx) => {
    // A span past the members would make a node wait for bytes that never come, or import the trailer.
    for (const [p, part] of (archive.importParts ?? []).entries()) {
      for (const [i, span] of part.spans.entries()) {
        if (span.offset + span.length > archive.entriesEnd) {
          ctx.addIssue({
            code: 'custom',
            path: ['importParts', p, 'spans', i],
            message: `ends at byte ${span.offset + span.length}, past the members (entriesEnd ${archive.entriesEnd})`,
          });
        }
      }
    }
  });
export type ArchiveDescriptor = z.infer<typeof archiveDescriptorSchema>;

export const loadImagesPayloadSchema = z.object({
  archive: archiveDescriptorSchema,
  plan: retagPlanSchema,
  /** Skip the transfer when every target is already verified (idempotent re-runs). */
  skipIfVerified: z.boolean(),
  /** The agent gives up (and reports) after this long. */
  timeoutMs: z.number().int().positive(),
});
export type LoadImagesPayload = z.infer<typeof loadImagesPayloadSchema>;
/** A payload as the coordinator sends it (the manifest in its wire form). */
export type LoadImagesPayloadInput = z.input<typeof loadImagesPayloadSchema>;

/** One image a node must be able to take from the registry, with what the bundle says it is. */
export const registryImageSchema = z.object({
  /** The full reference the cluster pulls (the retag target, e.g. registry.local:5000/library/nginx:1.25). */
  reference: z.string().min(1),
  /** The image config digest the bundle holds for it; checked after a pull when present. */
  configDigest: digest.optional(),
});
export type RegistryImage = z.infer<typeof registryImageSchema>;

/**
 * How a node reaches the registry. Credentials and TLS material are never sent: the node's runtime
 * configuration (containerd's hosts.toml under hostsDir, Docker's daemon.json and its logins) decides.
 */
export const registryAccessSchema = z.object({
  /** Registry hosts (host[:port]) spoken to over plain HTTP (containerd: ctr --plain-http). */
  plainHttp: z.array(z.string().min(1)).default([]),
  /** containerd's hosts directory (default /etc/containerd/certs.d). */
  hostsDir: z.string().min(1).optional(),
});
export type RegistryAccess = z.infer<typeof registryAccessSchema>;

export const checkRegistryImagesPayloadSchema = z.object({
  images: z.array(registryImageSchema).min(1),
  /** Pull every image fully (and verify its config digest), not only resolve it. */
  prePull: z.boolean(),
  access: registryAccessSchema,
  /** The agent gives up (and reports) after this long. */
  timeoutMs: z.number().int().positive(),
});
export type CheckRegistryImagesPayload = z.infer<typeof checkRegistryImagesPayloadSchema>;
/** A check-registry-images payload as the coordinator sends it. */
export type CheckRegistryImagesPayloadInput = z.input<typeof checkRegistryImagesPayloadSchema>;

const envelope = {
  v: z.literal(1),
  jobId: z.string().regex(RUN_ID),
  runId: z.string().regex(RUN_ID),
  node: z.string().regex(NODE_NAME),
  /** When the coordinator signed it: agents refuse jobs older than their replay window. */
  issuedAt: z.iso.datetime({ offset: true }),
};

/** Every job an agent runs; agents refuse anything that does not match one of these kinds. */
export const jobSchema = z.discriminatedUnion('kind', [
  z.object({ ...envelope, kind: z.literal('load-images'), payload: loadImagesPayloadSchema }),
  z.object({
    ...envelope,
    kind: z.literal('check-registry-images'),
    payload: checkRegistryImagesPayloadSchema,
  }),
]);
export type Job = z.infer<typeof jobSchema>;
/** A load-images job (the bundle path). */
export type LoadImagesJob = Extract<Job, { kind: 'load-images' }>;
/** A check-registry-images job (the registry path). */
export type CheckRegistryImagesJob = Extract<Job, { kind: 'check-registry-images' }>;
/** A job as the coordinator sends it. */
export type JobInput = z.input<typeof jobSchema>;

/** An agent's immediate answer to a job request. */
export const jobAckSchema = z.object({
  v: z.literal(1),
  jobId: z.string(),
  node: z.string().regex(NODE_NAME),
  accepted: z.boolean(),
  reason: z.string().optional(),
  /** The agent process that answered: the coordinator re-sends the job when a restart changes it. */
  bootId: z.string().optional(),
});
export type JobAck = z.infer<typeof jobAckSchema>;
