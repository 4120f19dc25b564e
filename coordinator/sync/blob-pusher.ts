import type { BlobOutcome, RegistryClient } from '../registry/index.js';
import type { ByteSource } from '../../shared/tar/index.js';
import type { PushBlob } from './image-manifest.js';

/**
 * Pushes blobs for one run: skips what the registry holds, mounts a blob into a second repository from
 * the first one that got it in this run, uploads the rest, and never pushes the same blob twice at once.
 */
export class BlobPusher {
  /** Per digest: the first push of the run, resolving to the repository that holds it. */
  private readonly first = new Map<string, Promise<string | undefined>>();
  /** Per repository and digest: a push under way or done. */
  private readonly pushes = new Map<string, Promise<BlobOutcome>>();

  constructor(
    private readonly client: RegistryClient,
    private readonly source: ByteSource,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Ensures `blob` is in `repository`; `onBytes` sees the bytes sent so far of an upload attempt. */
  push(repository: string, blob: PushBlob, onBytes: (sent: number) => void): Promise<BlobOutcome> {
    const key = `${repository}@${blob.digest}`;
    const existing = this.pushes.get(key);
    // The same blob in the same repository twice in a run (one image under two tags): once is enough.
    if (existing !== undefined) return existing.then(() => 'exists');
    const pushed = this.pushOnce(repository, blob, onBytes);
    this.pushes.set(key, pushed);
    return pushed;
  }

  private async pushOnce(
    repository: string,
    blob: PushBlob,
    onBytes: (sent: number) => void,
  ): Promise<BlobOutcome> {
    const earlier = this.first.get(blob.digest);
    if (earlier === undefined) {
      const outcome = this.headOrUpload(repository, blob, onBytes);
      this.first.set(
        blob.digest,
        outcome.then(
          () => repository,
          () => undefined,
        ),
      );
      return outcome;
    }
    const from = await earlier;
    this.signal?.throwIfAborted();
    if (await this.client.hasBlob(repository, blob.digest, this.signal)) return 'exists';
    if (from !== undefined && (await this.client.mountBlob(repository, blob.digest, from, this.signal))) {
      return 'mounted';
    }
    await this.upload(repository, blob, onBytes);
    return 'uploaded';
  }

  private async headOrUpload(
    repository: string,
    blob: PushBlob,
    onBytes: (sent: number) => void,
  ): Promise<BlobOutcome> {
    this.signal?.throwIfAborted();
    if (await this.client.hasBlob(repository, blob.digest, this.signal)) return 'exists';
    await this.upload(repository, blob, onBytes);
    return 'uploaded';
  }

  private upload(repository: string, blob: PushBlob, onBytes: (sent: number) => void): Promise<void> {
    return this.client.uploadBlob(
      repository,
      blob.digest,
      { size: blob.size, open: () => this.source.stream(blob.dataOffset, blob.size) },
      { ...(this.signal === undefined ? {} : { signal: this.signal }), onBytes },
    );
  }
}
