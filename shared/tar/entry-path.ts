import { posix } from 'node:path';

const DRIVE = /^[A-Za-z]:[\\/]/;

/** Normalises a tar member name: drops a leading `./` and trailing `/`; returns a problem text if it is unsafe. */
export function checkEntryPath(name: string): { path: string } | { problem: string } {
  if (name === '') return { problem: 'empty name' };
  if (name.includes('\0')) return { problem: 'NUL byte in name' };
  if (name.startsWith('/')) return { problem: 'absolute path' };
  if (DRIVE.test(name) || name.includes('\\')) return { problem: 'backslash or drive letter in path' };
  const parts = name.split('/');
  if (parts.includes('..')) return { problem: 'path traversal ("..")' };
  const path = posix
    .normalize(name)
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '');
  if (path === '' || path === '.') return { problem: 'name resolves to the archive root' };
  // `./c:/x` becomes `c:/x`: what a Windows extractor would write under a drive, so refuse it too.
  if (DRIVE.test(path)) return { problem: 'backslash or drive letter in path' };
  return { path };
}
