import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  createRegistryClient,
  parseChallenge,
  RegistryAuthFailedError,
  RegistryUnreachableError,
} from '../../../coordinator/registry/index.js';
import { ErrorCode } from '../../../shared/errors/index.js';
import { Secret } from '../../../shared/reference/index.js';
import { assertAirliftError, rejectionOf } from '../../helpers/airlift-error-assertions.js';

const PASSWORD = 'token-pw-1234';
const DIGEST = `sha256:${'a'.repeat(64)}`;

/** A registry that wants bearer tokens, and its token service, on one loopback server. */
class TokenRegistry {
  readonly tokenRequests: URLSearchParams[] = [];
  failuresLeft = 0;
  private server: Server | undefined;
  host = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server?.close(() => {
        resolve();
      }),
    );
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', `http://${this.host}`);
    if (url.pathname === '/token') {
      this.tokenRequests.push(url.searchParams);
      const expected = `Basic ${Buffer.from(`user:${PASSWORD}`).toString('base64')}`;
      if (req.headers.authorization !== expected) return void res.writeHead(401).end();
      const scopes = url.searchParams.getAll('scope').join(' ');
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ token: Buffer.from(`t:${scopes}`).toString('base64') }));
    }
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      return void res.writeHead(503).end();
    }
    const scope = url.pathname === '/v2/' ? '' : 'repository:team/app:pull,push';
    const token = req.headers.authorization?.replace(/^Bearer /, '');
    if (token === undefined || Buffer.from(token, 'base64').toString() !== `t:${scope}`) {
      const challenge = `Bearer realm="http://${this.host}/token",service="test-registry"`;
      res.writeHead(401, { 'www-authenticate': scope === '' ? challenge : `${challenge},scope="${scope}"` });
      return void res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'auth' }] }));
    }
    res.writeHead(url.pathname === '/v2/' ? 200 : 404).end();
  }
}

describe('registry client', () => {
  const registry = new TokenRegistry();
  before(() => registry.start());
  after(() => registry.stop());

  const client = (password = PASSWORD) =>
    createRegistryClient({
      registry: registry.host,
      plainHttp: true,
      credentials: { username: 'user', password: new Secret(password) },
      attempts: 3,
      backoffMs: 10,
    });

  it('gets a bearer token for the scope a request needs and reuses it', async () => {
    const c = client();
    try {
      registry.tokenRequests.length = 0;
      assert.equal(await c.hasBlob('team/app', DIGEST), false);
      assert.equal(await c.hasBlob('team/app', DIGEST), false);
      assert.equal(registry.tokenRequests.length, 1);
      const request = registry.tokenRequests[0];
      assert.ok(request !== undefined);
      assert.equal(request.get('service'), 'test-registry');
      assert.deepEqual(request.getAll('scope'), ['repository:team/app:pull,push']);
    } finally {
      c.close();
    }
  });

  it('retries 5xx answers with backoff', async () => {
    const c = client();
    try {
      registry.failuresLeft = 2;
      await c.ping();
      assert.equal(registry.failuresLeft, 0);
    } finally {
      c.close();
    }
  });

  it('reports refused credentials without the password', async () => {
    const c = client('wrong-pw-9876');
    try {
      const err = await rejectionOf(c.hasBlob('team/app', DIGEST));
      assertAirliftError(err, RegistryAuthFailedError, ErrorCode.RegistryAuthFailed, ['team/app']);
      assert.ok(!JSON.stringify(err).includes('wrong-pw-9876'));
      assert.ok(!String((err as Error).stack).includes('wrong-pw-9876'));
    } finally {
      c.close();
    }
  });

  it('names the registry when nothing listens there', async () => {
    const c = createRegistryClient({ registry: '127.0.0.1:1', plainHttp: true, attempts: 2, backoffMs: 10 });
    try {
      const err = await rejectionOf(c.ping());
      assertAirliftError(err, RegistryUnreachableError, ErrorCode.RegistryUnreachable, ['127.0.0.1:1']);
    } finally {
      c.close();
    }
  });

  it('parses challenges', () => {
    assert.deepEqual(
      parseChallenge('Bearer realm="https://a/token",service="reg",scope="repository:x:pull"'),
      {
        scheme: 'bearer',
        params: { realm: 'https://a/token', service: 'reg', scope: 'repository:x:pull' },
      },
    );
    assert.deepEqual(parseChallenge('Basic realm="r"'), { scheme: 'basic', params: { realm: 'r' } });
    assert.equal(parseChallenge('Negotiate abc'), undefined);
  });
});
