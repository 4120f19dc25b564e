import type { ArchiveImage } from '../image-archive/index.js';
import { applyRetagRule, formatReference, parseReference, type RetagRule } from '../reference/index.js';

/** One reference a node must end up holding, and the archive reference it is made from. */
export interface RetagPlanEntry {
  /** The reference as loaded from images.tar (normalised). */
  readonly source: string;
  /** Where the cluster will pull it from after the upgrade. */
  readonly target: string;
  /** The image's config digest: what `target` must point at. */
  readonly configDigest: string;
}

/** Every retag a node performs for one archive, in archive order. */
export interface RetagPlan {
  readonly entries: readonly RetagPlanEntry[];
  /** Images the archive carries without any name: they load but cannot be retagged or verified by name. */
  readonly unnamedImages: readonly string[];
}

/** Applies the rule to every reference of every image; the same plan on the coordinator and on every node. */
export function planRetags(images: readonly ArchiveImage[], rule: RetagRule): RetagPlan {
  const entries: RetagPlanEntry[] = [];
  const unnamedImages: string[] = [];
  for (const image of images) {
    if (image.references.length === 0) unnamedImages.push(image.configDigest);
    for (const source of image.references) {
      const target = formatReference(applyRetagRule(parseReference(source), rule));
      entries.push({ source, target, configDigest: image.configDigest });
    }
  }
  return { entries, unnamedImages };
}
