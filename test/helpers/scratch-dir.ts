import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

/**
 * A fresh directory under os.tmpdir() for the enclosing describe(): created before its tests run and
 * removed after them. Call inside describe(); the returned function gives the path once created.
 */
export function scratchDir(prefix: string): () => string {
  let path: string | undefined;
  before(async () => {
    path = await mkdtemp(join(tmpdir(), `airlift-${prefix}-`));
  });
  after(async () => {
    if (path !== undefined) await rm(path, { recursive: true, force: true });
  });
  return () => {
    if (path === undefined) throw new Error('scratchDir() used outside its describe()');
    return path;
  };
}
