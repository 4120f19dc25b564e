import { randomBytes } from 'node:crypto';
import type { ApiDescriptor } from '../containerd-api.js';
import { chainId } from '../image-check.js';
import { ContentWriteSession, PresentBlob, type BlobSink } from './blob-writer.js';
import { LEASE_EXPIRE_LABEL, snapshotRefLabel } from './gc-labels.js';
import { blobWriteError, ingestError } from './ingest-errors.js';
import { unpackLayer } from './layer-unpacker.js';
import type { ContainerdWriter } from './write-api.js';

/** How an import session runs. */
export interface IngestOptions {
  /** The snapshotter to unpack into (the one the image check and kubelet use; containerd's default overlayfs). */
  readonly snapshotter: string;
  /** The lease id (default `airlift-<time>-<random>`). */
  readonly lease?: string;
  /** How long containerd keeps the lease if the agent dies before close() (default 24 h, as ctr). */
  readonly leaseExpiryMs?: number;
}

/**
 * One image to unpack: its config and layers as the manifest names them. A layer may still be a
 * promise (its member has not begun to arrive): each is awaited only when its turn comes, so the
 * layers below it unpack meanwhile.
 */
export interface UnpackImage {
  readonly config: ApiDescriptor;
  readonly layers: readonly (ApiDescriptor | PromiseLike<ApiDescriptor>)[];
  /** The config's rootfs.diff_ids; read from the config blob once committed when left out. */
  readonly diffIds?: readonly string[];
}

/** What unpack did. */
export interface UnpackResult {
  readonly chainId: string;
  /** Layers applied now; the others were unpacked already. */
  readonly applied: number;
}

interface Pending {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

/** Opens an import session under a fresh lease: nothing it writes can be collected before close(). */
export async function openIngest(api: ContainerdWriter, options: IngestOptions): Promise<ImageIngest> {
  const lease = options.lease ?? `airlift-${Date.now()}-${randomBytes(4).toString('hex')}`;
  const expires = new Date(Date.now() + (options.leaseExpiryMs ?? 24 * 3600_000));
  // RFC 3339 without fractions, as Go's time.RFC3339 formats it.
  const labels = { [LEASE_EXPIRE_LABEL]: `${expires.toISOString().slice(0, 19)}Z` };
  try {
    await api.createLease(lease, labels);
  } catch (err) {
    throw ingestError(`creating lease ${lease}`, err);
  }
  return new ImageIngest(api.withLease(lease), api, lease, options.snapshotter);
}

/**
 * Imports images into containerd blob by blob, as bytes arrive: each blob streams into the content store
 * (skipped when the store holds it), each layer is unpacked as soon as its blob and the ones below it are
 * in, and image records name the results. Everything is held by the session's lease until close().
 */
export class ImageIngest {
  /** Every blob waited for or written, settled once it is in the store. */
  private readonly pending = new Map<string, Pending>();
  /** Blobs a sink of this session writes (or found present): another sink for one of them writes nothing. */
  private readonly started = new Set<string>();

  constructor(
    private readonly api: ContainerdWriter,
    private readonly unleased: ContainerdWriter,
    readonly lease: string,
    readonly snapshotter: string,
  ) {}

  /**
   * A sink for one blob. A blob the store already holds (or this session already started) is not written
   * again: its sink drops the bytes, and the blob is put under the lease and given `labels`.
   */
  async blob(descriptor: ApiDescriptor, labels: Readonly<Record<string, string>> = {}): Promise<BlobSink> {
    const { digest } = descriptor;
    if (this.started.has(digest)) return new PresentBlob(descriptor, this.ready(digest));
    this.started.add(digest);
    const pending = this.pending.get(digest) ?? this.track(digest);
    try {
      const info = await this.api.contentInfo(digest);
      if (info !== undefined) {
        await this.unleased.leaseContent(this.lease, digest);
        const missing = Object.entries(labels).filter(([key, value]) => info.labels[key] !== value);
        if (missing.length > 0) await this.api.setContentLabels(digest, Object.fromEntries(missing));
        pending.resolve();
        return new PresentBlob(descriptor, pending.promise);
      }
      const session = new ContentWriteSession(this.api.openWrite(), descriptor, `airlift-${digest}`, labels);
      await session.start();
      return this.settleOnCommit(session, pending);
    } catch (err) {
      const failure = blobWriteError(digest, err);
      pending.reject(failure);
      throw failure;
    }
  }

  /** Writes a whole small blob (a generated manifest) at once. */
  async writeBlob(
    descriptor: ApiDescriptor,
    bytes: Buffer,
    labels: Record<string, string> = {},
  ): Promise<void> {
    const sink = await this.blob(descriptor, labels);
    await sink.write(bytes);
    await sink.commit();
  }

  /** Resolves once the blob is committed in this session (or found present); rejects if its write failed. */
  ready(digest: string): Promise<void> {
    return (this.pending.get(digest) ?? this.track(digest)).promise;
  }

  /** Unpacks the image's layers in order, each as soon as its blob is committed; labels the config. */
  async unpack(image: UnpackImage): Promise<UnpackResult> {
    const { config, layers } = image;
    try {
      const diffIds = image.diffIds ?? (await this.diffIdsOf(config));
      if (diffIds.length !== layers.length)
        throw new Error(`${layers.length} layers but ${diffIds.length} diff ids in config ${config.digest}`);
      const target = {
        api: this.api,
        snapshotter: this.snapshotter,
        blobReady: (d: string) => this.ready(d),
      };
      let applied = 0;
      const known: ApiDescriptor[] = [];
      for (let i = 0; i < layers.length; i++) {
        known.push(await (layers[i] as ApiDescriptor | PromiseLike<ApiDescriptor>));
        if ((await unpackLayer(target, known, diffIds, i)) === 'applied') applied++;
      }
      const top = chainId(diffIds);
      await this.ready(config.digest);
      // GC keeps the snapshot chain while the config (so the manifest, so an image) refers to it.
      if (layers.length > 0)
        await this.api.setContentLabels(config.digest, snapshotRefLabel(this.snapshotter, top));
      return { chainId: top, applied };
    } catch (err) {
      throw ingestError(`unpacking image ${config.digest}`, err, config.digest);
    }
  }

  /** Points image `name` (a full reference) at `target`, a manifest this session wrote or found. */
  async createImage(name: string, target: ApiDescriptor): Promise<void> {
    try {
      if (this.started.has(target.digest)) await this.ready(target.digest);
      await this.api.putImage(name, target);
    } catch (err) {
      throw ingestError(`creating image ${name}`, err, name);
    }
  }

  /** Ends the lease: from now on only what image records refer to is kept. `collect` waits for GC. */
  async close(options: { collect?: boolean } = {}): Promise<void> {
    try {
      await this.unleased.deleteLease(this.lease, options.collect ?? false);
    } catch (err) {
      throw ingestError(`deleting lease ${this.lease}`, err);
    }
  }

  private async diffIdsOf(config: ApiDescriptor): Promise<string[]> {
    await this.ready(config.digest);
    const doc = JSON.parse((await this.api.readContent(config.digest)).toString('utf8')) as {
      rootfs?: { diff_ids?: string[] };
    };
    return doc.rootfs?.diff_ids ?? [];
  }

  private settleOnCommit(session: ContentWriteSession, pending: Pending): BlobSink {
    const digest = session.descriptor.digest;
    const fail = (err: unknown) => {
      const failure = blobWriteError(digest, err);
      pending.reject(failure);
      return failure;
    };
    return {
      descriptor: session.descriptor,
      skipped: false,
      write: (chunk) => session.write(chunk).catch((err: unknown) => Promise.reject(fail(err))),
      commit: () =>
        session.commit().then(
          () => {
            pending.resolve();
          },
          (err: unknown) => Promise.reject(fail(err)),
        ),
      abort: () => {
        session.abort();
        fail(new Error('aborted'));
      },
    };
  }

  private track(digest: string): Pending {
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A failure surfaces through whoever writes or waits; this keeps an unwatched one from crashing Node.
    promise.catch(() => undefined);
    const pending = { promise, resolve, reject };
    this.pending.set(digest, pending);
    return pending;
  }
}
