import { BundleMalformedError, BundleMissingEntryError, BundleUnsafeEntryError } from '../errors/index.js';
import { checkEntryPath, type TarEntry } from '../tar/index.js';

export const HINTS_ENTRY = 'hints.yaml';
export const IMAGES_ENTRY = 'images.tar';
export const CHART_DIR = 'original-chart';

/** The outer tar's members sorted into the three parts of a bundle. */
export interface BundleLayout {
  readonly hints: TarEntry;
  readonly images: TarEntry;
  /** Chart files by path relative to `original-chart/`. */
  readonly chartFiles: ReadonlyMap<string, TarEntry>;
  /** Members that are none of the above; kept for the report, never used. */
  readonly extraEntries: readonly string[];
}

/** Validates every member (safe names, regular files only, no duplicates) and finds the required ones. */
export function classifyBundleEntries(file: string, entries: readonly TarEntry[]): BundleLayout {
  const seen = new Set<string>();
  const chartFiles = new Map<string, TarEntry>();
  const extraEntries: string[] = [];
  let hints: TarEntry | undefined;
  let images: TarEntry | undefined;
  for (const entry of entries) {
    // `tar -C dir -cf x.tar .` starts with a `./` member for the root itself: nothing to check or keep.
    if (entry.type === 'directory' && /^(\.\/?)+$/.test(entry.name)) continue;
    const checked = checkEntryPath(entry.name);
    if ('problem' in checked) throw new BundleUnsafeEntryError(file, entry.name, checked.problem);
    if (entry.type === 'symlink' || entry.type === 'hardlink') {
      throw new BundleUnsafeEntryError(
        file,
        entry.name,
        `${entry.type} to ${JSON.stringify(entry.linkname ?? '')}`,
      );
    }
    if (entry.type === 'other') {
      throw new BundleUnsafeEntryError(
        file,
        entry.name,
        `special file (tar type ${JSON.stringify(entry.typeflag)})`,
      );
    }
    if (entry.type === 'directory') continue;
    const path = checked.path;
    if (seen.has(path)) throw new BundleMalformedError(file, path, 'appears twice in the bundle');
    seen.add(path);
    if (path === HINTS_ENTRY) hints = entry;
    else if (path === IMAGES_ENTRY) images = entry;
    else if (path.startsWith(`${CHART_DIR}/`)) chartFiles.set(path.slice(CHART_DIR.length + 1), entry);
    else extraEntries.push(path);
  }
  if (hints === undefined) throw new BundleMissingEntryError(file, HINTS_ENTRY);
  if (images === undefined) throw new BundleMissingEntryError(file, IMAGES_ENTRY);
  for (const required of ['Chart.yaml', 'values.yaml']) {
    if (!chartFiles.has(required)) throw new BundleMissingEntryError(file, `${CHART_DIR}/${required}`);
  }
  return { hints, images, chartFiles, extraEntries };
}
