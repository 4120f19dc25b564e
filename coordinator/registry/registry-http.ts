import http from 'node:http';
import https from 'node:https';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** A request body: small bytes, or a stream opened afresh for every attempt. */
export type RequestBody =
  | { readonly kind: 'bytes'; readonly bytes: Buffer }
  | {
      readonly kind: 'stream';
      readonly size: number;
      readonly open: () => Readable;
      readonly onBytes?: ((bytes: number) => void) | undefined;
    };

/** One HTTP request to a registry. */
export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: RequestBody;
}

/** A response with its (small) body read. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A failure worth another attempt: the connection broke, timed out, or the server said 5xx/429. */
export class TransientHttpError extends Error {}

const MAX_RESPONSE_BYTES = 8 << 20;

/** Sends one request; the body of the answer is read whole (registries answer with small JSON). */
export function sendRequest(
  agent: http.Agent,
  request: HttpRequest,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<HttpResponse> {
  const transport = request.url.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = { ...request.headers };
  if (request.body !== undefined) {
    const size = request.body.kind === 'bytes' ? request.body.bytes.length : request.body.size;
    headers['content-length'] = String(size);
  } else if (request.method === 'POST' || request.method === 'PUT') {
    headers['content-length'] = '0';
  }
  return new Promise<HttpResponse>((resolve, reject) => {
    const req = transport.request(request.url, {
      method: request.method,
      headers,
      agent,
      timeout: timeoutMs,
      ...(signal === undefined ? {} : { signal }),
    });
    req.on('timeout', () => req.destroy(new TransientHttpError(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => {
      reject(signal?.aborted === true || err instanceof TransientHttpError ? err : toTransient(err));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let length = 0;
      res.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (length <= MAX_RESPONSE_BYTES) chunks.push(chunk);
      });
      res.on('error', (err) => {
        reject(toTransient(err));
      });
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    writeBody(req, request.body).catch((err: unknown) => req.destroy(toError(err)));
  });
}

async function writeBody(req: http.ClientRequest, body: RequestBody | undefined): Promise<void> {
  if (body === undefined) {
    req.end();
    return;
  }
  if (body.kind === 'bytes') {
    req.end(body.bytes);
    return;
  }
  const onBytes = body.onBytes;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onBytes?.(chunk.length);
      done(null, chunk);
    },
  });
  await pipeline(body.open(), counter, req);
}

/** Runs `attempt` until it succeeds, a non-transient error occurs, or the attempts run out. */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  attempts: number,
  backoffMs: number,
  signal?: AbortSignal,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof TransientHttpError) || n >= attempts || signal?.aborted === true) throw err;
      await sleep(backoffMs * 2 ** (n - 1), undefined, signal === undefined ? {} : { signal });
    }
  }
}

/** True for statuses a retry may fix. */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

function toTransient(err: unknown): TransientHttpError {
  const error = toError(err);
  return new TransientHttpError(error.message, { cause: error });
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
