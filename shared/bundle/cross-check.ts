import type { RenderedHint } from '../chart/index.js';
import type { ArchiveImage } from '../image-archive/index.js';
import { formatReference, parseReference } from '../reference/index.js';

/** How hints.yaml and images.tar agree. */
export interface HintCrossCheck {
  /** Hints that rendered to a reference images.tar does not contain: those pods would not start. */
  readonly missingFromArchive: readonly { template: string; index: number; reference: string }[];
  /** Hints that failed to render or rendered to something that is not a reference. */
  readonly unrenderable: readonly { template: string; index: number; problem: string }[];
  /** Archive references no hint names (harmless: e.g. init images the hints file forgot). */
  readonly notInHints: readonly string[];
}

/** Compares rendered hints with the archive's references after normalising both. */
export function crossCheckHints(
  hints: readonly RenderedHint[],
  images: readonly ArchiveImage[],
): HintCrossCheck {
  const inArchive = new Set(images.flatMap((image) => image.references));
  const named = new Set<string>();
  const missingFromArchive: { template: string; index: number; reference: string }[] = [];
  const unrenderable: { template: string; index: number; problem: string }[] = [];
  for (const hint of hints) {
    if (hint.reference === undefined) {
      unrenderable.push({
        template: hint.template,
        index: hint.index,
        problem: hint.error?.message ?? 'did not render',
      });
      continue;
    }
    let normalised: string;
    try {
      normalised = formatReference(parseReference(hint.reference));
    } catch (err) {
      unrenderable.push({ template: hint.template, index: hint.index, problem: (err as Error).message });
      continue;
    }
    named.add(normalised);
    if (!inArchive.has(normalised))
      missingFromArchive.push({ template: hint.template, index: hint.index, reference: normalised });
  }
  return {
    missingFromArchive,
    unrenderable,
    notInHints: [...inArchive].filter((reference) => !named.has(reference)),
  };
}

/** One line per hint the archive cannot satisfy: those pods would never start. */
export function describeHintProblems(check: HintCrossCheck): string[] {
  return [
    ...check.unrenderable.map(
      (h) => `hints.yaml [${h.index}] ${JSON.stringify(h.template)} does not render: ${h.problem}`,
    ),
    ...check.missingFromArchive.map(
      (h) => `hints.yaml [${h.index}] names ${h.reference}, which images.tar does not contain`,
    ),
  ];
}
