import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import type { ServiceError } from '@grpc/grpc-js';
import {
  ArchiveServer,
  fetchPieces,
  wholeArchivePieces,
  type ArchiveAccess,
  type ArchiveServerOptions,
  type FetchPiecesOptions,
  type FetchPiecesRequest,
  type FramedPiece,
} from '../../../shared/data-plane/index.js';
import { FileByteSource } from '../../../shared/tar/index.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/** A payload served from the middle of a real file, the way images.tar sits inside a bundle. */
export interface ServedArchive {
  readonly server: ArchiveServer;
  readonly address: string;
  /** sha256 hex of the payload, also its archive id. */
  readonly id: string;
  readonly payload: Buffer;
  readonly pieceSize: number;
  /** Stops the server, closes the file and removes the temp dir; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Writes prefix + payload + suffix to a temp file, serves the payload's byte range in pieces of
 * `pieceSize` to `access` (default anyone: a plaintext server) and starts the server.
 */
export async function serveArchive(
  payload: Buffer,
  options: ArchiveServerOptions = {},
  access: ArchiveAccess = { kind: 'anyone' },
  pieceSize = 64 * 1024,
): Promise<ServedArchive> {
  const dir = makeTempDir('airlift-data-plane');
  const server = new ArchiveServer(options);
  let file: FileByteSource | undefined;
  const close = async (): Promise<void> => {
    await server.stop();
    await file?.close();
    await dir.remove();
  };
  try {
    const prefix = Buffer.alloc(1536, 'P');
    const path = join(dir.path, 'kairship_0.21.0.bundle.tar');
    await writeFile(path, Buffer.concat([prefix, payload, Buffer.alloc(777, 'S')]));
    file = await FileByteSource.open(path);
    const hex = createHash('sha256').update(payload).digest('hex');
    const images = file.slice(prefix.length, payload.length, `${path}!images.tar`);
    server.registerPieces(hex, wholeArchivePieces(images, pieceSize), access);
    const address = await server.start();
    return { server, address, id: hex, payload, pieceSize, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Polls until `condition` holds; fails after `timeoutMs`. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Awaits `promise`, failing after `timeoutMs`. The pending timer also keeps the event loop alive: grpc-js
 * unrefs its sockets once a call is torn down, so a test awaiting only a gRPC event could otherwise see
 * the loop drain before that event is delivered.
 */
export async function within<T>(promise: Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** How one fetchPieces ran: every piece it yielded, and what it threw, if anything. */
export interface PiecesOutcome {
  readonly pieces: FramedPiece[];
  readonly error: unknown;
}

/**
 * Runs fetchPieces to its end, keeping every piece and the error it threw; bounded in time (the fetch
 * is aborted when `timeoutMs` runs out, and the test fails).
 */
export async function collectPieces(
  address: string,
  request: FetchPiecesRequest,
  options: Omit<FetchPiecesOptions, 'signal'> = {},
  timeoutMs = 10_000,
): Promise<PiecesOutcome> {
  const stop = new AbortController();
  const pieces: FramedPiece[] = [];
  const run = (async (): Promise<PiecesOutcome> => {
    try {
      for await (const piece of fetchPieces(address, request, { ...options, signal: stop.signal })) {
        pieces.push(piece);
      }
      return { pieces, error: undefined };
    } catch (error) {
      return { pieces, error };
    }
  })();
  try {
    return await within(run, `the pieces of ${request.archiveId ?? '(no id)'} from ${address}`, timeoutMs);
  } finally {
    stop.abort(new Error('collectPieces: gave up waiting'));
  }
}

/** Asserts `error` is a gRPC ServiceError (an OpenPieceStream refusal) with status `code`, and returns it. */
export function assertServiceError(error: unknown, code: number): ServiceError {
  assert.ok(error instanceof Error, `expected a gRPC error with status ${code}, got ${String(error)}`);
  const { code: actual, details } = error as Partial<ServiceError>;
  assert.equal(actual, code, `status ${String(actual)}: ${error.message}`);
  assert.equal(typeof details, 'string', 'a ServiceError carries its details');
  return error as ServiceError;
}
