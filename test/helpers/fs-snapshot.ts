import { readdir, stat } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every path under `dir` with its size and mtime, sorted: equal snapshots mean nothing was written. */
export async function snapshotTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    const info = await stat(join(dir, entry));
    out.push(`${entry} ${info.isDirectory() ? 'dir' : info.size} ${info.mtimeMs}`);
  }
  return out.sort();
}

/** How many file descriptors this process holds open (Linux). */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}
