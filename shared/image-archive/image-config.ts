import { z } from 'zod';
import { ArchiveMalformedError } from '../errors/index.js';
import { firstIssue } from '../validation/index.js';
import { sha256Digest, type ArchiveEntries } from './archive-entries.js';

const configSchema = z.object({
  architecture: z.string().optional(),
  os: z.string().optional(),
  rootfs: z.object({ type: z.string(), diff_ids: z.array(z.string()) }),
});

/** The parts of an image config the archive readers check. */
export interface ImageConfigFacts {
  readonly digest: string;
  readonly size: number;
  readonly diffIds: readonly string[];
  readonly os?: string;
  readonly architecture?: string;
}

/**
 * Reads a config blob, checks its bytes hash to the digest its name or descriptor claims,
 * and that it lists as many layers as the manifest does.
 */
export async function readImageConfig(
  entries: ArchiveEntries,
  name: string,
  claimedDigest: string | undefined,
  layerCount: number,
  referencedBy: string,
): Promise<ImageConfigFacts> {
  const bytes = await entries.readSmall(name, referencedBy);
  const digest = sha256Digest(bytes);
  if (claimedDigest !== undefined && claimedDigest !== digest) {
    throw new ArchiveMalformedError(
      entries.source.label,
      name,
      `config blob hashes to ${digest}, not ${claimedDigest} as named: the archive is corrupted`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ArchiveMalformedError(entries.source.label, name, 'config blob is not valid JSON', err);
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    const issue = firstIssue(parsed.error);
    throw new ArchiveMalformedError(
      entries.source.label,
      name,
      `config blob field ${issue.path}: ${issue.message}`,
    );
  }
  const diffIds = parsed.data.rootfs.diff_ids;
  if (diffIds.length !== layerCount) {
    throw new ArchiveMalformedError(
      entries.source.label,
      name,
      `config lists ${diffIds.length} layers but ${referencedBy} lists ${layerCount}`,
    );
  }
  return {
    digest,
    size: bytes.length,
    diffIds,
    ...(parsed.data.os === undefined ? {} : { os: parsed.data.os }),
    ...(parsed.data.architecture === undefined ? {} : { architecture: parsed.data.architecture }),
  };
}
