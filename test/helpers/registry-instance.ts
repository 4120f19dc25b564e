import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { spawnDaemon, waitUntilReady } from './daemon-process.js';
import { makeLoopbackCertificate } from './loopback-certificate.js';
import { requireBinary } from './host-prereqs.js';
import { makeTempDir } from './temp-dir.js';

/** The user every htpasswd-protected test registry accepts. */
export const REGISTRY_USER = 'airlift';
/** Its password (a test value, not a secret). */
export const REGISTRY_PASSWORD = 'airlift-registry-pw';
// distribution's htpasswd accepts bcrypt only and apache2-utils is not installed: a fixed hash of
// REGISTRY_PASSWORD, made once with `perl -e 'print crypt("airlift-registry-pw", q($2b$05$airliftregistrysaltxxu))'`.
const REGISTRY_PASSWORD_BCRYPT = '$2b$05$airliftregistrysaltxxu19CaeVxLCl8IFhnGHxRHZK7v8RqlB1K';

/** Knobs for startRegistry. */
export interface RegistryOptions {
  /** Require REGISTRY_USER / REGISTRY_PASSWORD (htpasswd). */
  readonly htpasswd?: boolean;
  /** Serve https with a certificate for 127.0.0.1 from a throwaway CA. */
  readonly tls?: boolean;
  /** Default 15 s. */
  readonly readyTimeoutMs?: number;
}

/** A docker-registry (distribution) of the test's own, storing into a temp dir. */
export interface RegistryInstance {
  /** `127.0.0.1:PORT`, as an image reference names it. */
  readonly host: string;
  readonly dir: string;
  /** The CA that signed the server certificate, with `tls: true`. */
  readonly caFile: string | undefined;
  logs(): string;
  /** Stops the registry and deletes its dir; safe to call twice. */
  stop(): Promise<void>;
}

/** Starts Debian's `docker-registry` on a free loopback port. */
export async function startRegistry(options: RegistryOptions = {}): Promise<RegistryInstance> {
  const binary = requireBinary('docker-registry');
  const dir = makeTempDir('airlift-registry');
  let stopDaemon = (): Promise<void> => Promise.resolve();
  const stop = async (): Promise<void> => {
    await stopDaemon();
    await dir.remove();
  };
  try {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const tls = options.tls === true ? await makeLoopbackCertificate(dir.path) : undefined;
    const htpasswd = join(dir.path, 'htpasswd');
    if (options.htpasswd === true) writeFileSync(htpasswd, `${REGISTRY_USER}:${REGISTRY_PASSWORD_BCRYPT}\n`);
    const config = join(dir.path, 'config.yml');
    writeFileSync(
      config,
      registryConfig({
        dir: dir.path,
        host,
        tls,
        htpasswd: options.htpasswd === true ? htpasswd : undefined,
      }),
    );
    const daemon = spawnDaemon({
      name: 'docker-registry',
      command: binary,
      args: ['serve', config],
      logFile: join(dir.path, 'registry.log'),
    });
    stopDaemon = () => daemon.stop(5_000);
    const ca = tls === undefined ? undefined : readFileSync(tls.caFile);
    await waitUntilReady(daemon, {
      check: () => answers(host, ca),
      timeoutMs: options.readyTimeoutMs ?? 15_000,
      waitingFor: `GET https?://${host}/v2/ to answer`,
    });
    return { host, dir: dir.path, caFile: tls?.caFile, logs: () => daemon.logs(), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function registryConfig(input: {
  dir: string;
  host: string;
  tls: { certFile: string; keyFile: string } | undefined;
  htpasswd: string | undefined;
}): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(join(input.dir, 'data'))}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${input.host}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
  ];
  if (input.tls !== undefined) {
    lines.push('  tls:', `    certificate: ${JSON.stringify(input.tls.certFile)}`);
    lines.push(`    key: ${JSON.stringify(input.tls.keyFile)}`);
  }
  if (input.htpasswd !== undefined) {
    lines.push(
      'auth:',
      '  htpasswd:',
      '    realm: airlift-test',
      `    path: ${JSON.stringify(input.htpasswd)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function answers(host: string, ca: Buffer | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const url = `${ca === undefined ? 'http' : 'https'}://${host}/v2/`;
    const done = (ok: boolean): void => {
      resolve(ok);
    };
    const req = (ca === undefined ? http : https).get(url, { ca, timeout: 2_000 }, (res) => {
      res.resume();
      done(res.statusCode === 200 || res.statusCode === 401);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => {
      done(false);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}
