import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Pack } from 'tar-stream';

// Fixed owner and times: the same inputs always give the same bytes, hence the same digests.
const EPOCH = new Date(0);

/** Header fields every member gets, so that nothing about the build machine or the hour leaks in. */
export function fixedHeader(
  name: string,
  mode = 0o644,
): {
  name: string;
  mode: number;
  mtime: Date;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
} {
  return { name, mode, mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '' };
}

/** Appends one in-memory member. */
export function addBuffer(tar: Pack, name: string, data: Buffer, mode = 0o644): Promise<void> {
  return new Promise((resolve, reject) => {
    tar.entry({ ...fixedHeader(name, mode), type: 'file', size: data.length }, data, (err) => {
      settle(err, resolve, reject);
    });
  });
}

/** Appends a directory member (`name/`). */
export function addDirectory(tar: Pack, name: string, mode = 0o755): Promise<void> {
  return new Promise((resolve, reject) => {
    tar.entry({ ...fixedHeader(`${name}/`, mode), type: 'directory' }, (err) => {
      settle(err, resolve, reject);
    });
  });
}

/** Appends a file's bytes under `name`, streamed. */
export async function addFile(tar: Pack, name: string, source: string, mode = 0o644): Promise<void> {
  const { size } = await stat(source);
  const sink = tar.entry({ ...fixedHeader(name, mode), type: 'file', size });
  await pipeline(createReadStream(source), sink);
}

function settle(err: Error | null | undefined, resolve: () => void, reject: (err: Error) => void): void {
  if (err) reject(err);
  else resolve();
}
