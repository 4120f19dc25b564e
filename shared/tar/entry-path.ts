import { posix } from 'node:path';

/** Normalises a tar member name: drops a leading `./` and trailing `/`; returns a problem text if it is unsafe. */
export function checkEntryPath(name: string): { path: string } | { problem: string } {
  if (name === '') return { problem: 'empty name' };
  if (name.includes('\0')) return { problem: 'NUL byte in name' };
  if (name.startsWith('/')) return { problem: 'absolute path' };
  if (/^[A-Za-z]:[\\/]/.test(name) || name.includes('\\'))
    return { problem: 'backslash or drive letter in path' };
  const parts = name.split('/');
  if (parts.includes('..')) return { problem: 'path traversal ("..")' };
  const path = posix
    .normalize(name)
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '');
  if (path === '' || path === '.') return { problem: 'name resolves to the archive root' };
  return { path };
}
