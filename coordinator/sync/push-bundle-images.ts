import type { Bundle } from '../../shared/bundle/index.js';
import type { ArchiveImage } from '../../shared/image-archive/index.js';
import {
  applyRetagRule,
  formatReference,
  parseReference,
  type ImageReference,
  type RetagRule,
} from '../../shared/reference/index.js';
import { indexTar } from '../../shared/tar/index.js';
import type { BlobOutcome, RegistryClient } from '../registry/index.js';
import { RegistryRequestFailedError } from '../registry/index.js';
import { BlobPusher } from './blob-pusher.js';
import { entriesByName, planImagePush, type ImagePushPlan } from './image-manifest.js';

/** Progress of a push, sent after every change; bytes skipped or mounted count as done. */
export interface PushProgress {
  /** The image's first target reference. */
  readonly image: string;
  readonly imageBytesDone: number;
  readonly imageBytesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

/** One image as it now stands in the registry. */
export interface PushedImage {
  /** References in images.tar. */
  readonly sources: readonly string[];
  /** The references the retag rule gave, all now resolvable in the registry. */
  readonly targets: readonly string[];
  readonly manifestDigest: string;
}

/** What a push did; a rerun after success uploads nothing and pushes no manifest. */
export interface PushImagesResult {
  readonly images: readonly PushedImage[];
  /** Config digests of images without any name: they cannot be pushed. */
  readonly unnamedImages: readonly string[];
  readonly blobs: Readonly<Record<BlobOutcome, number>>;
  readonly bytesUploaded: number;
  readonly manifests: { readonly pushed: number; readonly existing: number };
}

/** Inputs of pushBundleImages. */
export interface PushBundleImagesOptions {
  readonly bundle: Bundle;
  readonly rule: RetagRule;
  readonly client: RegistryClient;
  /** Images pushed at once; default 2. */
  readonly concurrency?: number;
  readonly onProgress?: (progress: PushProgress) => void;
  readonly signal?: AbortSignal;
}

interface ImageJob {
  readonly image: ArchiveImage;
  readonly targets: readonly ImageReference[];
  readonly plan: ImagePushPlan;
  /** Blob bytes to account for: the plan's blobs once per target repository. */
  readonly total: number;
}

/** Pushes every named image of the bundle's images.tar to the client's registry under its retagged names. */
export async function pushBundleImages(options: PushBundleImagesOptions): Promise<PushImagesResult> {
  const { bundle, rule, client, signal } = options;
  const archive = bundle.info.archive;
  const source = bundle.imagesSource();
  const members = entriesByName(await indexTar(source));
  const jobs: ImageJob[] = [];
  for (const image of archive.images.filter((i) => i.references.length > 0)) {
    const targets = image.references.map((ref) => applyRetagRule(parseReference(ref), rule));
    for (const target of targets) checkRegistry(client, target);
    const plan = await planImagePush(source, members, archive.format, image);
    const repositories = new Set(targets.map((t) => t.repository)).size;
    const size = plan.blobs.reduce((sum, blob) => sum + blob.size, 0);
    jobs.push({ image, targets, plan, total: size * repositories });
  }
  const bytesTotal = jobs.reduce((sum, job) => sum + job.total, 0);
  const counts: Record<BlobOutcome, number> = { exists: 0, mounted: 0, uploaded: 0 };
  const manifests = { pushed: 0, existing: 0 };
  let bytesDone = 0;
  let bytesUploaded = 0;
  const pusher = new BlobPusher(client, source, signal);
  const pushed: PushedImage[] = [];

  const pushImage = async (job: ImageJob): Promise<void> => {
    const { plan } = job;
    const label = formatReference(job.targets[0] ?? parseReference(job.image.references[0] ?? ''));
    let imageDone = 0;
    const report = (): void =>
      options.onProgress?.({
        image: label,
        imageBytesDone: imageDone,
        imageBytesTotal: job.total,
        bytesDone,
        bytesTotal,
      });
    for (const repository of new Set(job.targets.map((t) => t.repository))) {
      for (const blob of plan.blobs) {
        let sent = 0;
        const outcome = await pusher.push(repository, blob, (n) => {
          imageDone += n - sent;
          bytesDone += n - sent;
          sent = n;
          report();
        });
        counts[outcome] += 1;
        if (outcome === 'uploaded') bytesUploaded += blob.size;
        imageDone += blob.size - sent;
        bytesDone += blob.size - sent;
        report();
      }
    }
    for (const repository of new Set(job.targets.map((t) => t.repository))) {
      for (const child of plan.children) {
        if ((await client.manifestDigest(repository, child.digest, signal)) === child.digest) continue;
        await client.putManifest(repository, child.digest, child.mediaType, child.bytes, signal);
      }
    }
    for (const target of job.targets) {
      const reference = target.tag ?? plan.manifest.digest;
      const present = await client.manifestDigest(target.repository, reference, signal);
      if (present === plan.manifest.digest) {
        manifests.existing += 1;
        continue;
      }
      const digest = await client.putManifest(
        target.repository,
        reference,
        plan.manifest.mediaType,
        plan.manifest.bytes,
        signal,
      );
      if (digest !== plan.manifest.digest) {
        const where = { registry: client.registry, repository: target.repository, digest };
        throw new RegistryRequestFailedError(
          where,
          'manifest PUT',
          201,
          `the registry stored the manifest as ${digest}, not ${plan.manifest.digest}`,
        );
      }
      manifests.pushed += 1;
    }
    pushed.push({
      sources: job.image.references,
      targets: job.targets.map(formatReference),
      manifestDigest: plan.manifest.digest,
    });
  };

  await runPool(jobs, Math.max(1, options.concurrency ?? 2), pushImage, signal);
  return {
    images: pushed,
    unnamedImages: archive.images.filter((i) => i.references.length === 0).map((i) => i.configDigest),
    blobs: counts,
    bytesUploaded,
    manifests,
  };
}

function checkRegistry(client: RegistryClient, target: ImageReference): void {
  if (target.registry === client.registry) return;
  throw new RegistryRequestFailedError(
    { registry: client.registry, repository: target.repository },
    `push of ${formatReference(target)}`,
    undefined,
    `the retag rule sends it to registry ${target.registry}, not ${client.registry}: check the target registry of the rule`,
  );
}

/** Runs `work` over `items`, at most `limit` at a time; the first failure stops new work and is thrown. */
async function runPool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      signal?.throwIfAborted();
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
