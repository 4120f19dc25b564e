import { randomBytes } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { RuntimeLoadError } from '../../../shared/errors/index.js';
import type { ApiDescriptor } from '../containerd-api.js';
import { chainId } from '../image-check.js';
import { SNAPSHOT_REF_LABEL, UNCOMPRESSED_LABEL } from './gc-labels.js';
import type { ContainerdWriter } from './write-api.js';

/** Where one image's layers go. */
export interface UnpackTarget {
  readonly api: ContainerdWriter;
  readonly snapshotter: string;
  /** Resolves once the layer blob `digest` is committed to the content store (or was there already). */
  readonly blobReady: (digest: string) => Promise<void>;
}

/** What unpacking one layer did. */
export type LayerOutcome = 'applied' | 'present';

const isCode = (err: unknown, code: GrpcStatus): boolean => (err as { code?: unknown }).code === code;

/**
 * Unpacks layer `index` on top of the layers below it, as containerd's unpacker does (unpacker.go,
 * rootfs/apply.go): the snapshot named by the chain id exists → nothing to do; else Prepare an extraction
 * snapshot on the parent chain, Apply the blob into it (containerd decompresses by media type and returns
 * the diff id it computed), check that diff id, Commit under the chain id, and label the blob with it.
 */
export async function unpackLayer(
  target: UnpackTarget,
  layers: readonly ApiDescriptor[],
  diffIds: readonly string[],
  index: number,
): Promise<LayerOutcome> {
  const { api, snapshotter } = target;
  const layer = layers[index];
  const diffId = diffIds[index];
  if (layer === undefined || diffId === undefined) throw new Error(`no layer ${index} to unpack`);
  const chain = chainId(diffIds.slice(0, index + 1));
  const parent = index === 0 ? '' : chainId(diffIds.slice(0, index));
  if (await api.hasSnapshot(snapshotter, chain)) return 'present';
  await target.blobReady(layer.digest);

  const labels = { [SNAPSHOT_REF_LABEL]: chain };
  const prepared = await prepare(api, snapshotter, chain, parent, labels);
  if (prepared === undefined) return 'present';
  const { key, mounts } = prepared;
  try {
    const applied = await api.applyDiff(layer, mounts);
    if (applied.digest !== diffId) {
      throw new RuntimeLoadError(
        'containerd',
        `layer ${layer.digest} unpacks to ${applied.digest}, but the image config names ${diffId}`,
        { subject: layer.digest },
      );
    }
    await api.commitSnapshot(snapshotter, chain, key, labels);
  } catch (err) {
    await api.removeSnapshot(snapshotter, key).catch(() => undefined);
    // Another unpack of the same chain won the race: its snapshot is as good as ours.
    if (isCode(err, GrpcStatus.ALREADY_EXISTS)) return 'present';
    throw err;
  }
  // Set only now that Apply has verified the diff id, as containerd does.
  await api.setContentLabels(layer.digest, { [UNCOMPRESSED_LABEL]: diffId });
  return 'applied';
}

async function prepare(
  api: ContainerdWriter,
  snapshotter: string,
  chain: string,
  parent: string,
  labels: Record<string, string>,
): Promise<{ key: string; mounts: Awaited<ReturnType<ContainerdWriter['prepareSnapshot']>> } | undefined> {
  for (let attempt = 1; ; attempt++) {
    // snapshots.UnpackKeyFormat: "extract-<unique> <chain id>"; a unique part keeps concurrent unpacks apart.
    const key = `extract-${process.hrtime.bigint() % 1_000_000_000n}-${randomBytes(3).toString('base64url')} ${chain}`;
    try {
      return { key, mounts: await api.prepareSnapshot(snapshotter, key, parent, labels) };
    } catch (err) {
      if (!isCode(err, GrpcStatus.ALREADY_EXISTS) || attempt >= 3) throw err;
      if (await api.hasSnapshot(snapshotter, chain)) return undefined;
    }
  }
}
