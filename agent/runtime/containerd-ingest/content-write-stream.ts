import {
  connect as http2Connect,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
} from 'node:http2';
import { connect as netConnect } from 'node:net';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { encodeWriteRequest } from './write-request-encoding.js';
import type { WriteMessage } from './write-api.js';

const WRITE_PATH = '/containerd.services.content.v1.Content/Write';

// Bytes queued on the HTTP/2 stream before send() waits for them to go out: a few messages, so the
// socket always has the next one while containerd's flow-control window allows it.
const MAX_QUEUED_BYTES = 1024 * 1024;

/** A gRPC status other than OK, shaped as grpc-js's ServiceError (code, details) for the callers. */
export class ContentWriteError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(`${code} ${GrpcStatus[code] ?? 'UNKNOWN'}: ${details}`);
    this.name = 'ContentWriteError';
  }
}

/** An HTTP/2 connection to containerd's socket for content.Write calls, opened on first use. */
export class ContentWriteConnection {
  private session: ClientHttp2Session | undefined;

  constructor(private readonly socketPath: string) {}

  /** Opens one content.Write call under `namespace` and, when given, `lease`. */
  open(namespace: string, lease: string | undefined): ContentWriteStream {
    const headers = {
      ':method': 'POST',
      ':path': WRITE_PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
      'containerd-namespace': namespace,
      ...(lease === undefined ? {} : { 'containerd-lease': lease }),
    };
    return new ContentWriteStream(this.connect().request(headers));
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }

  private connect(): ClientHttp2Session {
    if (this.session === undefined || this.session.closed || this.session.destroyed) {
      const session = http2Connect('http://localhost', {
        createConnection: () => netConnect({ path: this.socketPath }),
      });
      // A broken connection fails its calls (each sees the stream close); the next call reconnects.
      session.on('error', () => undefined);
      this.session = session;
    }
    return this.session;
  }
}

/**
 * One content.Write call made with Node's own HTTP/2 instead of grpc-js, for the blob's bytes' sake:
 * each message goes out as a small head and the caller's buffer as it is (see encodeWriteRequest),
 * where grpc-js copied every byte twice into fresh buffers. containerd's replies only echo offsets and
 * are read and dropped; what counts is the call's status. A buffer passed to send() must stay unchanged
 * afterwards: it may go out later.
 */
export class ContentWriteStream {
  private outcome: { error: ContentWriteError | undefined } | undefined;
  private readonly done: Promise<void>;

  constructor(private readonly stream: ClientHttp2Stream) {
    this.done = new Promise((resolve, reject) => {
      const settle = (error: ContentWriteError | undefined): void => {
        if (this.outcome !== undefined) return;
        this.outcome = { error };
        if (error === undefined) resolve();
        else reject(error);
      };
      stream.on('response', (headers) => {
        // A trailers-only answer (an error before any reply) carries its status in the headers.
        if (headers['grpc-status'] !== undefined) settle(statusError(headers));
      });
      stream.on('trailers', (trailers: IncomingHttpHeaders) => {
        settle(statusError(trailers));
      });
      stream.on('data', () => undefined);
      stream.on('error', (err: Error) => {
        settle(new ContentWriteError(GrpcStatus.UNAVAILABLE, `content.Write stream failed: ${err.message}`));
      });
      stream.on('close', () => {
        settle(
          new ContentWriteError(
            GrpcStatus.UNAVAILABLE,
            `content.Write stream closed without a status (HTTP/2 code ${stream.rstCode})`,
          ),
        );
      });
    });
    // Failures surface from send() and close(); this only keeps Node from calling them unhandled.
    this.done.catch(() => undefined);
  }

  /** Sends one message; resolves once more may be sent, rejects with the call's error status. */
  async send(message: WriteMessage): Promise<void> {
    if (this.outcome !== undefined) return this.done;
    const { head, data } = encodeWriteRequest(message);
    this.stream.write(head);
    if (data !== undefined && data.length > 0) this.stream.write(data);
    if (this.stream.writableLength > MAX_QUEUED_BYTES) {
      await Promise.race([new Promise((resolve) => this.stream.once('drain', resolve)), this.done]);
    }
  }

  /** Ends the sending side; resolves on status OK, rejects with any other. */
  close(): Promise<void> {
    if (this.outcome === undefined) this.stream.end();
    return this.done;
  }

  /** Gives up on the call. */
  cancel(): void {
    this.stream.close();
  }
}

function statusError(headers: IncomingHttpHeaders): ContentWriteError | undefined {
  const code = Number(headers['grpc-status']);
  if (code === (GrpcStatus.OK as number)) return undefined;
  const raw = headers['grpc-message'];
  const details = typeof raw === 'string' ? decodeMessage(raw) : '';
  return new ContentWriteError(Number.isInteger(code) ? code : GrpcStatus.UNKNOWN, details);
}

// grpc-message is percent-encoded (gRPC over HTTP/2); a malformed one is shown as it came.
function decodeMessage(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
