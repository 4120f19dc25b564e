import type { z } from 'zod';

/** The first problem zod found, as a dotted field path (`[2].Layers.0` style indexes kept) and a message. */
export function firstIssue(error: z.ZodError): { path: string; message: string } {
  const issue = error.issues[0];
  if (issue === undefined) return { path: '', message: 'invalid' };
  const path = issue.path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
  return { path, message: issue.message };
}
