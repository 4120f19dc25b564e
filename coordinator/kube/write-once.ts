import { randomBytes } from 'node:crypto';
import { link, open, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `file` only if it does not exist yet, atomically and durably: the bytes go to a temp file
 * beside it, are fsynced, then a hard link claims the name (link(2) fails if the name is taken, where
 * rename(2) would silently replace it). Returns false, writing nothing, when `file` already existed.
 */
export async function writeFileOnce(file: string, data: string | Buffer, mode = 0o600): Promise<boolean> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    await syncDir(dirname(file));
    return true;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

// The new name is only durable once its directory is synced too.
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
