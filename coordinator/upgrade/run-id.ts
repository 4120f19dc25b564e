import { randomBytes } from 'node:crypto';

/** A sortable, unique run id such as `r20261124-115500-3f9a`: valid as a subject token and KV key. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `r${stamp}-${randomBytes(2).toString('hex')}`;
}
