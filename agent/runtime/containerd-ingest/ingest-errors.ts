import { status as GrpcStatus } from '@grpc/grpc-js';
import { AirliftError, RuntimeBlobRejectedError, RuntimeLoadError } from '../../../shared/errors/index.js';

/** containerd's own words for a failed call (grpc-js puts them in `details`). */
export function apiDetail(err: unknown): string {
  const details = (err as { details?: unknown }).details;
  if (typeof details === 'string' && details !== '') return details;
  return err instanceof Error ? err.message : String(err);
}

/**
 * A failed blob write as an AirliftError. containerd answers FAILED_PRECONDITION when the committed
 * bytes do not hash to the expected digest or size ("unexpected commit digest …"): the blob is refused.
 */
export function blobWriteError(digest: string, err: unknown): AirliftError {
  if (err instanceof AirliftError) return err;
  if ((err as { code?: unknown }).code === GrpcStatus.FAILED_PRECONDITION)
    return new RuntimeBlobRejectedError('containerd', digest, apiDetail(err), {}, err);
  return new RuntimeLoadError(
    'containerd',
    `writing blob ${digest}: ${apiDetail(err)}`,
    { subject: digest },
    err,
  );
}

/** Any other failed step of an import (lease, unpack, image record) as an AirliftError. */
export function ingestError(step: string, err: unknown, subject?: string): AirliftError {
  if (err instanceof AirliftError) return err;
  return new RuntimeLoadError(
    'containerd',
    `${step}: ${apiDetail(err)}`,
    subject === undefined ? {} : { subject },
    err,
  );
}
