import { RuntimeUnavailableError } from '../../shared/errors/index.js';
import { hostPlatform, type Platform } from '../../shared/image-archive/index.js';

const MANIFEST_LIST_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

/** One row of `ctr images check`. */
export interface CtrImageRow {
  readonly reference: string;
  readonly mediaType: string;
  readonly targetDigest: string;
  /** Every blob the image needs is in the content store. */
  readonly complete: boolean;
  /** Its layers are unpacked into the snapshotter (what kubelet needs to start containers). */
  readonly unpacked: boolean;
}

/**
 * Parses `ctr images check`: REF TYPE DIGEST STATUS SIZE UNPACKED, where STATUS is
 * `complete (2/2)` or `incomplete (1/2)` and SIZE is `4.5 KiB/4.5 KiB` (both hold spaces).
 */
export function parseImageCheck(stdout: string): CtrImageRow[] {
  const lines = stdout.split('\n').filter((line) => line.trim() !== '');
  return lines
    .slice(lines[0]?.startsWith('REF') === true ? 1 : 0)
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols.length >= 5 && cols[2]?.startsWith('sha256:') === true)
    .map((cols) => ({
      reference: cols[0] ?? '',
      mediaType: cols[1] ?? '',
      targetDigest: cols[2] ?? '',
      complete: cols[3] === 'complete',
      unpacked: cols.at(-1) === 'true',
    }));
}

/**
 * Follows an image's target to its config digest: manifest → config, or index → this platform's
 * manifest → config. `getContent` returns a blob by digest (`ctr content get`).
 */
export async function configDigestOf(
  row: CtrImageRow,
  getContent: (digest: string) => Promise<string>,
  platform: Platform = hostPlatform(),
): Promise<string> {
  let digest = row.targetDigest;
  for (let depth = 0; depth < 3; depth++) {
    const doc = JSON.parse(await getContent(digest)) as {
      mediaType?: string;
      config?: { digest?: string };
      manifests?: { digest: string; platform?: { os?: string; architecture?: string } }[];
    };
    if (doc.config?.digest !== undefined) return doc.config.digest;
    const isIndex = doc.manifests !== undefined || MANIFEST_LIST_TYPES.has(doc.mediaType ?? '');
    const next = isIndex
      ? (doc.manifests?.find(
          (m) => m.platform?.os === platform.os && m.platform.architecture === platform.architecture,
        ) ?? doc.manifests?.[0])
      : undefined;
    if (next === undefined) break;
    digest = next.digest;
  }
  throw new RuntimeUnavailableError(
    `containerd: cannot find the config of ${row.reference} (target ${row.targetDigest})`,
    {
      reference: row.reference,
    },
  );
}

/**
 * Parses `ctr content ls` (DIGEST SIZE AGE LABELS) into manifest digest → config digest, from the
 * `containerd.io/gc.ref.content.config` label containerd puts on every manifest it imports or pulls
 * (it reads it from the manifest itself, to keep the config from garbage collection). AGE holds spaces
 * ("About a minute"), so the labels are the last column and the digest the first.
 */
export function parseConfigLabels(stdout: string): Map<string, string> {
  const configs = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const digest = /^(sha256:[0-9a-f]{64})\s/.exec(line)?.[1];
    const config = /containerd\.io\/gc\.ref\.content\.config=(sha256:[0-9a-f]{64})/.exec(line)?.[1];
    if (digest !== undefined && config !== undefined) configs.set(digest, config);
  }
  return configs;
}
