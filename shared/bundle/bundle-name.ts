import { basename } from 'node:path';

// charts-syncer's own pattern for intermediate bundle names (pkg/utils: `<name>_<version>.bundle.tar`).
const BUNDLE_NAME = /^([a-zA-Z][a-zA-Z0-9+-]*)_(.+)\.bundle\.tar$/;

/** Name and version encoded in a bundle's file name, or undefined when it does not follow the convention. */
export function parseBundleFileName(path: string): { name: string; version: string } | undefined {
  const m = BUNDLE_NAME.exec(basename(path));
  if (m?.[1] === undefined || m[2] === undefined) return undefined;
  return { name: m[1], version: m[2] };
}
