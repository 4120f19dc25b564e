import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse, stringify } from 'yaml';
import { BufferByteSource, indexTar } from '../../shared/tar/index.js';
import { makeTempDir, type TempDir } from './temp-dir.js';

/** One request the stand-in served. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType: string;
  /** Whether the basic-auth credentials matched. */
  readonly authorized: boolean;
}

/** A running ChartMuseum / Harbor chartrepo stand-in. */
export interface ChartMuseumStandIn {
  /** `http://127.0.0.1:PORT` — ChartMuseum's repo URL; Harbor's is `${url}/chartrepo/PROJECT`. */
  readonly url: string;
  /** Where uploads are stored: `<dir>/<name>-<version>.tgz`, or `<dir>/<project>/…` for Harbor uploads. */
  readonly dir: string;
  readonly requests: readonly RecordedRequest[];
  /** Stored package names of a tenant ('' for ChartMuseum's root, else the Harbor project). */
  stored(project?: string): Promise<string[]>;
  close(): Promise<void>;
}

export interface ChartMuseumStandInOptions {
  readonly username?: string;
  readonly password?: string;
}

const UPLOAD = /^\/api(?:\/chartrepo\/([^/]+))?\/charts$/;
const INDEX = /^(?:\/chartrepo\/([^/]+))?\/index\.yaml$/;
const DOWNLOAD = /^(?:\/chartrepo\/([^/]+))?\/charts\/([^/]+\.tgz)$/;
const MAX_BODY = 64 << 20;

/**
 * Test-only HTTP server speaking the slice of the ChartMuseum API (POST /api/charts, multipart `chart` or
 * raw body; GET /index.yaml; GET /charts/FILE) and Harbor's chartrepo API (the same under
 * /api/chartrepo/PROJECT/charts and /chartrepo/PROJECT/…) that publishers use. Listens on 127.0.0.1;
 * every request needs basic auth when a username is given; 409 when the version is already stored.
 */
export async function startChartMuseumStandIn(
  options: ChartMuseumStandInOptions = {},
): Promise<ChartMuseumStandIn> {
  const temp: TempDir = makeTempDir('airlift-chartmuseum');
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    handle(req, res, temp.path, options, requests).catch((err: unknown) => {
      reply(res, 500, { error: (err as Error).message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    dir: temp.path,
    requests,
    async stored(project = '') {
      const names = await readdir(join(temp.path, project)).catch(() => []);
      return names.filter((name) => name.endsWith('.tgz')).sort();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      await temp.remove();
    },
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  root: string,
  options: ChartMuseumStandInOptions,
  requests: RecordedRequest[],
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
  const authorized = checkAuth(req, options);
  requests.push({
    method: req.method ?? '',
    path,
    contentType: req.headers['content-type'] ?? '',
    authorized,
  });
  if (!authorized) {
    res.setHeader('www-authenticate', 'Basic realm="chartmuseum"');
    reply(res, 401, { error: 'unauthorized' });
    return;
  }
  const upload = UPLOAD.exec(path);
  if (req.method === 'POST' && upload !== null) {
    await receive(req, res, join(root, upload[1] ?? ''));
    return;
  }
  const index = INDEX.exec(path);
  if (req.method === 'GET' && index !== null) {
    res.writeHead(200, { 'content-type': 'application/x-yaml' });
    res.end(await buildIndex(join(root, index[1] ?? '')));
    return;
  }
  const download = DOWNLOAD.exec(path);
  if (req.method === 'GET' && download !== null) {
    const data = await readFile(join(root, download[1] ?? '', download[2] ?? '')).catch(() => undefined);
    if (data === undefined) reply(res, 404, { error: 'not found' });
    else res.writeHead(200, { 'content-type': 'application/x-tar' }).end(data);
    return;
  }
  reply(res, 404, { error: 'not found' });
}

function checkAuth(req: IncomingMessage, options: ChartMuseumStandInOptions): boolean {
  if (options.username === undefined) return true;
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
  return decoded === `${options.username}:${options.password ?? ''}`;
}

async function receive(req: IncomingMessage, res: ServerResponse, dir: string): Promise<void> {
  const body = await readBody(req);
  const type = req.headers['content-type'] ?? '';
  let chart: Buffer;
  if (type.startsWith('multipart/form-data')) {
    const file = multipartField(body, type, 'chart');
    if (file === undefined) {
      reply(res, 400, { error: 'no chart field in the form' });
      return;
    }
    chart = file;
  } else {
    chart = body;
  }
  let meta: { name: string; version: string };
  try {
    meta = await chartMeta(chart);
  } catch (err) {
    reply(res, 400, { error: `not a chart package: ${(err as Error).message}` });
    return;
  }
  const file = join(dir, `${meta.name}-${meta.version}.tgz`);
  await mkdir(dir, { recursive: true });
  try {
    await writeFile(file, chart, { flag: 'wx' });
  } catch {
    reply(res, 409, { error: `${meta.name}-${meta.version}.tgz already exists` });
    return;
  }
  reply(res, 201, { saved: true });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function chartMeta(tgz: Buffer): Promise<{ name: string; version: string } & Record<string, unknown>> {
  const source = new BufferByteSource(gunzipSync(tgz), 'upload');
  const member = (await indexTar(source)).find((m) => /^[^/]+\/Chart\.yaml$/.test(m.name));
  if (member === undefined) throw new Error('no <name>/Chart.yaml');
  const data = parse((await source.read(member.dataOffset, member.size)).toString('utf8')) as Record<
    string,
    unknown
  >;
  if (typeof data.name !== 'string' || typeof data.version !== 'string')
    throw new Error('no name or version');
  return { ...data, name: data.name, version: data.version };
}

async function buildIndex(dir: string): Promise<string> {
  const entries: Record<string, unknown[]> = {};
  const names = await readdir(dir).catch(() => []);
  for (const name of names.filter((n) => n.endsWith('.tgz')).sort()) {
    const data = await readFile(join(dir, name));
    const meta = await chartMeta(data);
    (entries[meta.name] ??= []).push({
      ...meta,
      urls: [`charts/${name}`],
      digest: createHash('sha256').update(data).digest('hex'),
    });
  }
  return stringify({ apiVersion: 'v1', entries });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** The bytes of one multipart/form-data field (RFC 7578), or undefined when the form lacks it. */
function multipartField(body: Buffer, contentType: string, name: string): Buffer | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  const marker = Buffer.from(`--${boundary?.[1] ?? boundary?.[2] ?? ''}`);
  let start = body.indexOf(marker);
  while (start !== -1) {
    const next = body.indexOf(marker, start + marker.length);
    if (next === -1) return undefined;
    const part = body.subarray(start + marker.length + 2, next - 2); // skip CRLF after marker and before next
    const split = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, split).toString('utf8');
    if (split !== -1 && new RegExp(`name="${name}"`).test(headers)) return part.subarray(split + 4);
    start = next;
  }
  return undefined;
}
