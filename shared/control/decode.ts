import type { z } from 'zod';
import { AirliftError, type ErrorContext } from '../errors/index.js';
import { ErrorCode } from '../errors/codes.js';
import { firstIssue } from '../validation/index.js';

/** A message on the bus did not match its schema: logged and dropped, never acted on. */
export class WireMessageError extends AirliftError {
  readonly code = ErrorCode.WireMessageInvalid;
  constructor(subject: string, detail: string, context: ErrorContext = {}) {
    super(`message on ${subject} rejected: ${detail}`, { ...context, subject });
  }
}

/** Parses JSON bytes from the bus against a schema, naming the subject and field on failure. */
export function decodeMessage<T>(schema: z.ZodType<T>, subject: string, data: Uint8Array): T {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    throw new WireMessageError(subject, 'not JSON');
  }
  return parseMessage(schema, subject, json);
}

/** Checks an already parsed message against a schema, naming the subject and field on failure. */
export function parseMessage<T>(schema: z.ZodType<T>, subject: string, json: unknown): T {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = firstIssue(parsed.error);
  throw new WireMessageError(subject, `field ${issue.path === '' ? '(root)' : issue.path}: ${issue.message}`);
}

/** Encodes a message for the bus. */
export function encodeMessage(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}
