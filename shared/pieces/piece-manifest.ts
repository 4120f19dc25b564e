import { createHash, type Hash } from 'node:crypto';
import { z } from 'zod';
import { PieceIndexError, PieceManifestError } from '../errors/index.js';
import type { ByteSource } from '../tar/index.js';
import { firstIssue } from '../validation/index.js';

/** Smallest piece: below this, per-piece overhead (a digest, a message, an fsync) starts to dominate. */
export const MIN_PIECE_SIZE = 16 * 1024;
/** Largest piece: a receiver holds one whole piece in memory before it can verify it. */
export const MAX_PIECE_SIZE = 64 * 1024 * 1024;
/** Kraken's piece size; a benchmark over real fleets may tune it. */
export const DEFAULT_PIECE_SIZE = 4 * 1024 * 1024;

const HEX_DIGEST = /^[a-f0-9]{64}$/;

/** True for a power of two in [MIN_PIECE_SIZE, MAX_PIECE_SIZE]. */
export function isValidPieceSize(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_PIECE_SIZE && n <= MAX_PIECE_SIZE && (n & (n - 1)) === 0;
}

/** How many pieces of `pieceSize` cover `size` bytes (the last one may be short). */
export function pieceCount(size: number, pieceSize: number): number {
  return Math.ceil(size / pieceSize);
}

/** The pieces of an archive: what every receiver checks each piece against before using or forwarding it. */
export const pieceManifestSchema = z
  .object({
    pieceSize: z
      .number()
      .int()
      .refine(isValidPieceSize, `expected a power of two from ${MIN_PIECE_SIZE} to ${MAX_PIECE_SIZE} bytes`),
    /** Bytes in the archive; an empty archive has nothing to distribute. */
    size: z.number().int().positive(),
    /** sha256 hex of each piece, in order. */
    pieces: z.array(z.string().regex(HEX_DIGEST, 'expected 64 lowercase hex digits')),
    /** Of the whole archive, in the `sha256:<hex>` form the job's archive descriptor uses. */
    sha256: z.string().regex(/^sha256:[a-f0-9]{64}$/, 'expected sha256:<64 hex>'),
  })
  .superRefine((m, ctx) => {
    if (!isValidPieceSize(m.pieceSize)) return;
    const expected = pieceCount(m.size, m.pieceSize);
    if (m.pieces.length !== expected) {
      ctx.addIssue({
        code: 'custom',
        path: ['pieces'],
        message: `${m.size} bytes in pieces of ${m.pieceSize} make ${expected} pieces, not ${m.pieces.length}`,
      });
    } else if (expected === 1 && `sha256:${m.pieces[0] ?? ''}` !== m.sha256) {
      // One piece is the whole archive: two different digests of the same bytes mean a forged manifest.
      ctx.addIssue({
        code: 'custom',
        path: ['pieces', 0],
        message: 'a single piece must have the digest of the whole archive',
      });
    }
  });

/** An archive's piece geometry and digests. */
export type PieceManifest = z.infer<typeof pieceManifestSchema>;

const DIGEST_BYTES = 32;

/**
 * The manifest as every job carries it: the piece digests as one base64 string of their raw bytes,
 * 43 characters a piece instead of 67 in a JSON array of hex. At small pieces and many nodes the
 * manifests are what the coordinator sends besides the archive (16 jobs of 257 pieces: 275 KB as hex,
 * 6.5 % of a 4 MiB archive). Parses to a PieceManifest, checked like one.
 */
export const wirePieceManifestSchema = z
  .object({
    pieceSize: z.number(),
    size: z.number(),
    sha256: z.string(),
    /** base64 of the concatenated 32-byte sha256 of each piece, in order. */
    digests: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64'),
  })
  .transform(({ digests, ...rest }, ctx) => {
    const raw = Buffer.from(digests, 'base64');
    if (raw.length % DIGEST_BYTES !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['digests'],
        message: `${raw.length} bytes are not a whole number of ${DIGEST_BYTES}-byte digests`,
      });
      return z.NEVER;
    }
    const pieces: string[] = [];
    for (let at = 0; at < raw.length; at += DIGEST_BYTES) {
      pieces.push(raw.subarray(at, at + DIGEST_BYTES).toString('hex'));
    }
    return { ...rest, pieces };
  })
  .pipe(pieceManifestSchema);

/** The wire form of a manifest (what wirePieceManifestSchema parses). */
export type WirePieceManifest = z.input<typeof wirePieceManifestSchema>;

/** Packs a manifest's digests for a job: the inverse of wirePieceManifestSchema. */
export function toWirePieceManifest(manifest: PieceManifest): WirePieceManifest {
  const { pieces, ...rest } = manifest;
  return { ...rest, digests: Buffer.from(pieces.join(''), 'hex').toString('base64') };
}

/** Where one piece lies in the archive. */
export interface PieceRange {
  readonly offset: number;
  readonly length: number;
}

/** Checks an untrusted value (a job field, a file) against the manifest rules; `where` names it in errors. */
export function parsePieceManifest(value: unknown, where: string): PieceManifest {
  const parsed = pieceManifestSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = firstIssue(parsed.error);
  throw new PieceManifestError(where, issue.path, issue.message);
}

/** The sha256 hex of the whole archive (the manifest's digest without its `sha256:` prefix). */
export function archiveIdOf(manifest: Pick<PieceManifest, 'sha256'>): string {
  return manifest.sha256.slice('sha256:'.length);
}

/** The byte range of piece `index`; throws PieceIndexError outside `[0, pieceCount)`. */
export function pieceRange(
  manifest: Pick<PieceManifest, 'pieceSize' | 'size' | 'sha256'>,
  index: number,
): PieceRange {
  const count = pieceCount(manifest.size, manifest.pieceSize);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new PieceIndexError(archiveIdOf(manifest), index, count);
  }
  const offset = index * manifest.pieceSize;
  return { offset, length: Math.min(manifest.pieceSize, manifest.size - offset) };
}

/**
 * Reads `source` once, front to back, hashing each piece and the whole archive on the way; memory stays
 * at one read chunk whatever the size. Rejects an empty or shrinking source and an invalid piece size.
 * `wholeDigest`, when given, computes the whole archive's sha256 hex elsewhere (another thread) while
 * this pass hashes the pieces.
 */
export async function buildPieceManifest(
  source: ByteSource,
  pieceSize: number = DEFAULT_PIECE_SIZE,
  signal?: AbortSignal,
  wholeDigest?: () => Promise<string>,
): Promise<PieceManifest> {
  if (!isValidPieceSize(pieceSize)) {
    throw new PieceManifestError(
      source.label,
      'pieceSize',
      `${String(pieceSize)} is not a power of two from ${MIN_PIECE_SIZE} to ${MAX_PIECE_SIZE} bytes`,
    );
  }
  if (source.size === 0) {
    throw new PieceManifestError(
      source.label,
      'size',
      'the archive is empty: there is nothing to distribute',
    );
  }
  signal?.throwIfAborted();
  const elsewhere = wholeDigest?.();
  // Settled below; until then a rejection must not count as unhandled.
  elsewhere?.catch(() => undefined);
  const whole = createHash('sha256');
  const pieces: string[] = [];
  let piece: Hash = createHash('sha256');
  let inPiece = 0;
  let total = 0;
  const stream = source.stream();
  const onAbort = (): void => {
    stream.destroy(signal?.reason as Error);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > source.size) break;
      if (elsewhere === undefined) whole.update(chunk);
      for (let at = 0; at < chunk.length;) {
        const take = Math.min(chunk.length - at, pieceSize - inPiece);
        piece.update(at === 0 && take === chunk.length ? chunk : chunk.subarray(at, at + take));
        at += take;
        inPiece += take;
        if (inPiece === pieceSize) {
          pieces.push(piece.digest('hex'));
          piece = createHash('sha256');
          inPiece = 0;
        }
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stream.destroy();
  }
  if (total !== source.size) {
    throw new PieceManifestError(
      source.label,
      'size',
      `the source gave ${total} bytes where it announced ${source.size}: it changed while being read`,
    );
  }
  if (inPiece > 0) pieces.push(piece.digest('hex'));
  const hex = elsewhere === undefined ? whole.digest('hex') : await elsewhere;
  return { pieceSize, size: total, pieces, sha256: `sha256:${hex}` };
}
