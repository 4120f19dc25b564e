import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Logger } from 'pino';
import { ChartPublishError, ConfigInvalidError } from '../../shared/errors/index.js';
import type { ChartRepoKind, Credentials } from '../../shared/reference/index.js';
import type { ChartPublisher, PublishResult } from './chart-publisher.js';
import type { ChartPackage } from './package-chart.js';

export interface MuseumHttpOptions {
  readonly auth?: Credentials;
  readonly logger?: Logger;
  readonly timeoutMs: number;
}

// charts-syncer (pkg/client/repo/chartmuseum, harbor): ChartMuseum takes `{url}/api/charts`; Harbor's
// chartrepo URL `https://HOST/chartrepo/PROJECT` becomes `https://HOST/api/chartrepo/PROJECT/charts`.
// Both take a multipart form with the package in the `chart` field, with basic auth.

function parseRepoUrl(url: string, file: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigInvalidError(file, 'target.repo.url', 'is not a URL (e.g. https://charts.example)');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigInvalidError(file, 'target.repo.url', 'must start with http:// or https://');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new ConfigInvalidError(
      file,
      'target.repo.url',
      'must not carry credentials: put them in target.repo.auth or TARGET_REPO_AUTH_USERNAME/PASSWORD',
    );
  }
  return parsed;
}

/** `{url}/api/charts`, ChartMuseum's upload endpoint. */
export function chartMuseumEndpoint(url: string, file: string): string {
  const parsed = parseRepoUrl(url, file);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}/api/charts`;
}

/** Harbor's chartrepo upload endpoint for a `https://HOST/chartrepo/PROJECT` URL. */
export function harborEndpoint(url: string, file: string): string {
  const parsed = parseRepoUrl(url, file);
  const path = parsed.pathname.replace(/\/+$/, '');
  if (!/^(\/.*)?\/chartrepo\/[^/]+$/.test(path)) {
    throw new ConfigInvalidError(
      file,
      'target.repo.url',
      'a Harbor chart repository URL names the project: https://HOST/chartrepo/PROJECT',
    );
  }
  return `${parsed.origin}${path.replace('/chartrepo/', '/api/chartrepo/')}/charts`;
}

/** ChartMuseum or Harbor chartrepo: one multipart POST per chart. */
export class MuseumChartPublisher implements ChartPublisher {
  constructor(
    readonly kind: Extract<ChartRepoKind, 'CHARTMUSEUM' | 'HARBOR'>,
    readonly target: string,
    private readonly endpoint: string,
    private readonly options: MuseumHttpOptions,
  ) {}

  /** Uploads the package; HTTP 409 (that version is already there) is reported, not thrown. */
  async publish(pkg: ChartPackage): Promise<PublishResult> {
    const chart = `${pkg.name}-${pkg.version}`;
    const fail = (problem: string, cause?: unknown): ChartPublishError =>
      new ChartPublishError(this.target, chart, problem, cause);
    const form = new FormData();
    form.append('chart', new Blob([await readFile(pkg.file)]), basename(pkg.file));
    const headers: Record<string, string> = {};
    const { auth } = this.options;
    if (auth !== undefined) {
      const token = Buffer.from(`${auth.username}:${auth.password.reveal()}`).toString('base64');
      headers.authorization = `Basic ${token}`;
    }
    this.options.logger?.debug({ endpoint: this.endpoint, chart, kind: this.kind }, 'uploading chart');
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        body: form,
        headers,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      const reason = cause?.code ?? (err as Error).name;
      throw fail(`cannot reach ${this.endpoint} (${reason}): check target.repo.url and the network`);
    }
    const body = (await response.text().catch(() => '')).slice(0, 300);
    if (response.status === 409)
      return { kind: this.kind, location: this.endpoint, status: 'already-present' };
    if (response.ok) return { kind: this.kind, location: this.endpoint, status: 'published' };
    if (response.status === 401 || response.status === 403) {
      const who = auth === undefined ? 'no credentials were given' : `user ${JSON.stringify(auth.username)}`;
      throw fail(
        `the repository refused the credentials (HTTP ${response.status}, ${who}): check target.repo.auth or TARGET_REPO_AUTH_USERNAME/TARGET_REPO_AUTH_PASSWORD`,
      );
    }
    throw fail(`POST ${this.endpoint} answered HTTP ${response.status}${describeBody(body, auth)}`);
  }
}

// The server's own words help (ChartMuseum answers {"error": "…"}), scrubbed of the password in case it echoes.
function describeBody(body: string, auth: Credentials | undefined): string {
  let text = body.trim().replace(/\s+/g, ' ');
  const secret = auth?.password.reveal();
  if (secret !== undefined && secret !== '') text = text.split(secret).join('[redacted]');
  return text === '' ? '' : `: ${text}`;
}
