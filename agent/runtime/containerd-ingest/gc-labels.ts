// The labels containerd's own import and unpack set (v1.6: images.ChildGCLabels through
// images.SetChildrenLabels in client/import.go; unpacker.go and image.go Unpack), so its garbage
// collector keeps exactly what an image made by `ctr images import` would keep.

/** On a layer blob, once unpacked: its diff id (the digest of the uncompressed tar), as Apply checked it. */
export const UNCOMPRESSED_LABEL = 'containerd.io/uncompressed';
/** On an unpack snapshot (Prepare and Commit): the chain id it becomes (unpacker.go labelSnapshotRef). */
export const SNAPSHOT_REF_LABEL = 'containerd.io/snapshot.ref';
/** On a lease: when GC may drop it even if nobody deleted it (what client.WithLease sets, 24 h). */
export const LEASE_EXPIRE_LABEL = 'containerd.io/gc.expire';

/** On the config blob: the image's top snapshot, so GC keeps the unpacked layers while the image lives. */
export function snapshotRefLabel(snapshotter: string, chainId: string): Record<string, string> {
  return { [`containerd.io/gc.ref.snapshot.${snapshotter}`]: chainId };
}

/**
 * On a manifest blob: its children, so GC keeps config and layers while an image names the manifest.
 * ChildGCLabels gives a config `containerd.io/gc.ref.content.config` and layers the prefix
 * `containerd.io/gc.ref.content.l.`, numbered from 0 in manifest order.
 */
export function manifestChildLabels(
  configDigest: string,
  layerDigests: readonly string[],
): Record<string, string> {
  const labels: Record<string, string> = { 'containerd.io/gc.ref.content.config': configDigest };
  layerDigests.forEach((digest, i) => {
    labels[`containerd.io/gc.ref.content.l.${i}`] = digest;
  });
  return labels;
}
