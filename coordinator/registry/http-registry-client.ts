import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parseChallenge, repositoryScope, tokenFromResponse, tokenUrl } from './registry-auth.js';
import {
  MANIFEST_MEDIA_TYPES,
  type BlobBody,
  type FetchedManifest,
  type RegistryClient,
  type RegistryClientOptions,
} from './registry-client.js';
import {
  RegistryAuthFailedError,
  RegistryRequestFailedError,
  RegistryUnreachableError,
  type RegistryWhere,
} from './registry-errors.js';
import {
  isTransientStatus,
  sendRequest,
  TransientHttpError,
  withRetries,
  type HttpRequest,
  type HttpResponse,
  type RequestBody,
} from './registry-http.js';

/** One call to the registry: what it is for (error messages), where, and which scopes it needs. */
interface Call {
  readonly operation: string;
  readonly where: RegistryWhere;
  readonly method: HttpRequest['method'];
  readonly url: URL;
  readonly scopes: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: RequestBody;
  readonly ok: readonly number[];
  readonly signal?: AbortSignal | undefined;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** Creates a client for one registry (the distribution API over Node's http/https). */
export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  return new HttpRegistryClient(options);
}

class HttpRegistryClient implements RegistryClient {
  readonly registry: string;
  private readonly base: URL;
  private readonly httpsAgent: https.Agent;
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly backoffMs: number;
  /** Authorization header per scope set; a basic header applies to all. */
  private readonly tokens = new Map<string, string>();
  private basic: string | undefined;

  constructor(private readonly options: RegistryClientOptions) {
    this.registry = options.registry;
    this.base = new URL(`${options.plainHttp === true ? 'http' : 'https'}://${options.registry}`);
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      ...(options.caFile === undefined ? {} : { ca: readCaFile(options.registry, options.caFile) }),
      ...(options.skipTlsVerify === true ? { rejectUnauthorized: false } : {}),
    });
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.attempts = options.attempts ?? 4;
    this.backoffMs = options.backoffMs ?? 500;
  }

  async ping(signal?: AbortSignal): Promise<void> {
    await this.retrying({ registry: this.registry }, signal, () =>
      this.call({
        operation: 'ping (GET /v2/)',
        where: { registry: this.registry },
        method: 'GET',
        url: this.url('/v2/'),
        scopes: [],
        ok: [200],
        signal,
      }),
    );
  }

  async hasBlob(repository: string, digest: string, signal?: AbortSignal): Promise<boolean> {
    const where = { registry: this.registry, repository, digest };
    const res = await this.retrying(where, signal, () =>
      this.call({
        operation: 'blob HEAD',
        where,
        method: 'HEAD',
        url: this.url(`/v2/${repository}/blobs/${digest}`),
        scopes: [repositoryScope(repository)],
        ok: [200, 404],
        signal,
      }),
    );
    return res.status === 200;
  }

  async mountBlob(repository: string, digest: string, from: string, signal?: AbortSignal): Promise<boolean> {
    const where = { registry: this.registry, repository, digest };
    const url = this.url(`/v2/${repository}/blobs/uploads/`);
    url.searchParams.set('mount', digest);
    url.searchParams.set('from', from);
    const res = await this.retrying(where, signal, () =>
      this.call({
        operation: `blob mount from ${from}`,
        where,
        method: 'POST',
        url,
        scopes: [repositoryScope(repository), repositoryScope(from, 'pull')],
        ok: [201, 202],
        signal,
      }),
    );
    // 202 opened an upload session instead; it is abandoned and the caller uploads.
    return res.status === 201;
  }

  async uploadBlob(
    repository: string,
    digest: string,
    body: BlobBody,
    options: { signal?: AbortSignal; onBytes?: (bytes: number) => void } = {},
  ): Promise<void> {
    const where = { registry: this.registry, repository, digest };
    const { signal, onBytes } = options;
    const scopes = [repositoryScope(repository)];
    // A failed PUT leaves the session unusable: every attempt starts a new upload.
    await this.retrying(where, signal, async () => {
      const started = await this.call({
        operation: 'blob upload start (POST)',
        where,
        method: 'POST',
        url: this.url(`/v2/${repository}/blobs/uploads/`),
        scopes,
        ok: [202],
        signal,
      });
      const location = headerValue(started.headers.location);
      if (location === undefined)
        throw new RegistryRequestFailedError(where, 'blob upload start', 202, 'no Location header');
      const target = new URL(location, this.base);
      target.searchParams.set('digest', digest);
      let sent = 0;
      await this.call({
        operation: 'blob upload (PUT)',
        where,
        method: 'PUT',
        url: target,
        scopes,
        headers: { 'content-type': 'application/octet-stream' },
        body: {
          kind: 'stream',
          size: body.size,
          open: () => {
            sent = 0;
            return body.open();
          },
          onBytes: (n) => {
            sent += n;
            onBytes?.(sent);
          },
        },
        ok: [201],
        signal,
      });
    });
  }

  async manifestDigest(
    repository: string,
    reference: string,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const where = { registry: this.registry, repository, digest: reference };
    const res = await this.retrying(where, signal, () =>
      this.call({
        operation: 'manifest HEAD',
        where,
        method: 'HEAD',
        url: this.url(`/v2/${repository}/manifests/${reference}`),
        scopes: [repositoryScope(repository)],
        headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') },
        ok: [200, 404],
        signal,
      }),
    );
    return res.status === 404 ? undefined : headerValue(res.headers['docker-content-digest']);
  }

  async getManifest(repository: string, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const where = { registry: this.registry, repository, digest: reference };
    const res = await this.retrying(where, signal, () =>
      this.call({
        operation: 'manifest GET',
        where,
        method: 'GET',
        url: this.url(`/v2/${repository}/manifests/${reference}`),
        scopes: [repositoryScope(repository, 'pull')],
        headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') },
        ok: [200],
        signal,
      }),
    );
    return {
      mediaType: (headerValue(res.headers['content-type']) ?? '').split(';')[0] ?? '',
      digest: headerValue(res.headers['docker-content-digest']) ?? sha256(res.body),
      body: res.body,
    };
  }

  async putManifest(
    repository: string,
    reference: string,
    mediaType: string,
    body: Buffer,
    signal?: AbortSignal,
  ): Promise<string> {
    const where = { registry: this.registry, repository, digest: reference };
    const res = await this.retrying(where, signal, () =>
      this.call({
        operation: 'manifest PUT',
        where,
        method: 'PUT',
        url: this.url(`/v2/${repository}/manifests/${reference}`),
        scopes: [repositoryScope(repository)],
        headers: { 'content-type': mediaType },
        body: { kind: 'bytes', bytes: body },
        ok: [201, 200],
        signal,
      }),
    );
    return headerValue(res.headers['docker-content-digest']) ?? sha256(body);
  }

  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }

  private url(path: string): URL {
    return new URL(path, this.base);
  }

  private agentFor(url: URL): http.Agent {
    return url.protocol === 'https:' ? this.httpsAgent : this.httpAgent;
  }

  private async retrying<T>(
    where: RegistryWhere,
    signal: AbortSignal | undefined,
    attempt: () => Promise<T>,
  ): Promise<T> {
    try {
      return await withRetries(attempt, this.attempts, this.backoffMs, signal);
    } catch (err) {
      if (err instanceof TransientStatusError) {
        throw new RegistryRequestFailedError(where, err.operation, err.status, err.message);
      }
      if (err instanceof TransientHttpError) {
        throw new RegistryUnreachableError(where, `${err.message} (after ${this.attempts} attempts)`, err);
      }
      throw err;
    }
  }

  /** Sends a call; answers a 401 challenge once by authenticating, then sends again. */
  private async call(call: Call): Promise<HttpResponse> {
    let res = await this.send(call);
    if (res.status === 401) {
      await this.authenticate(call, headerValue(res.headers['www-authenticate']));
      res = await this.send(call);
      if (res.status === 401) throw new RegistryAuthFailedError(call.where, 'the credentials were rejected');
    }
    if (res.status === 403) {
      throw new RegistryAuthFailedError(call.where, `${call.operation} is not allowed for this user`);
    }
    if (call.ok.includes(res.status)) return res;
    if (isTransientStatus(res.status)) throw new TransientStatusError(call.operation, res);
    throw new RegistryRequestFailedError(call.where, call.operation, res.status, errorSummary(res));
  }

  private send(call: Call): Promise<HttpResponse> {
    const headers: Record<string, string> = { ...call.headers };
    const auth = this.tokens.get(call.scopes.join(' ')) ?? this.basic;
    if (auth !== undefined) headers['authorization'] = auth;
    return sendRequest(
      this.agentFor(call.url),
      {
        method: call.method,
        url: call.url,
        headers,
        ...(call.body === undefined ? {} : { body: call.body }),
      },
      this.timeoutMs,
      call.signal,
    );
  }

  private async authenticate(call: Call, header: string | undefined): Promise<void> {
    const challenge = parseChallenge(header);
    const credentials = this.options.credentials;
    const basic =
      credentials === undefined
        ? undefined
        : `Basic ${Buffer.from(`${credentials.username}:${credentials.password.reveal()}`).toString('base64')}`;
    if (challenge === undefined) {
      throw new RegistryAuthFailedError(call.where, 'the registry answered 401 without a usable challenge');
    }
    if (challenge.scheme === 'basic') {
      if (basic === undefined)
        throw new RegistryAuthFailedError(
          call.where,
          'the registry requires credentials and none were given',
        );
      this.basic = basic;
      return;
    }
    const url = tokenUrl(challenge, call.scopes);
    const res = await sendRequest(
      this.agentFor(url),
      { method: 'GET', url, headers: basic === undefined ? {} : { authorization: basic } },
      this.timeoutMs,
      call.signal,
    );
    if (res.status === 401 || res.status === 403) {
      throw new RegistryAuthFailedError(call.where, `the token service ${url.host} refused the credentials`);
    }
    if (isTransientStatus(res.status)) throw new TransientStatusError('token request', res);
    const token = tokenFromResponse(res.body);
    if (res.status !== 200 || token === undefined) {
      throw new RegistryAuthFailedError(
        call.where,
        `the token service ${url.host} answered HTTP ${res.status} without a token`,
      );
    }
    this.tokens.set(call.scopes.join(' '), `Bearer ${token}`);
  }
}

/** A 5xx/429 answer: retried, then reported with its status. */
class TransientStatusError extends TransientHttpError {
  readonly status: number;
  constructor(
    readonly operation: string,
    res: HttpResponse,
  ) {
    super(errorSummary(res));
    this.status = res.status;
  }
}

/** The registry's `errors[]` as one line, or the start of the body. */
function errorSummary(res: HttpResponse): string {
  try {
    const json = JSON.parse(res.body.toString('utf8')) as { errors?: { code?: string; message?: string }[] };
    if (Array.isArray(json.errors) && json.errors.length > 0) {
      return json.errors.map((e) => `${e.code ?? '?'}: ${e.message ?? ''}`).join('; ');
    }
  } catch {
    // Not the registry's JSON error format.
  }
  const text = res.body.toString('utf8', 0, 200).trim();
  return text === '' ? 'no details in the answer' : text;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function readCaFile(registry: string, caFile: string): Buffer {
  try {
    return readFileSync(caFile);
  } catch (err) {
    throw new RegistryUnreachableError({ registry }, `cannot read the CA file ${caFile}`, err);
  }
}
