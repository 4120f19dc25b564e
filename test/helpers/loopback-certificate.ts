import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { requireBinary } from './host-prereqs.js';

const OPENSSL_TIMEOUT_MS = 15_000;

/** A throwaway CA and a server certificate for 127.0.0.1 it signed, as PEM files in `<dir>/tls`. */
export interface LoopbackCertificate {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** Makes a CA and a 127.0.0.1 server certificate (2 days, P-256) with openssl, for test servers. */
export async function makeLoopbackCertificate(dir: string): Promise<LoopbackCertificate> {
  const openssl = requireBinary('openssl');
  const tlsDir = join(dir, 'tls');
  mkdirSync(tlsDir);
  const path = (name: string): string => join(tlsDir, name);
  const run = (...args: string[]) => execa(openssl, args, { timeout: OPENSSL_TIMEOUT_MS });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run(
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    path('ca.key'),
    '-out',
    path('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=airlift-test-ca',
  );
  await run(
    'req',
    ...ecKey,
    '-keyout',
    path('server.key'),
    '-out',
    path('server.csr'),
    '-subj',
    '/CN=127.0.0.1',
  );
  // Node checks the IP SAN, not the CN, when the client dials an address.
  writeFileSync(path('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await run(
    'x509',
    '-req',
    '-in',
    path('server.csr'),
    '-CA',
    path('ca.pem'),
    '-CAkey',
    path('ca.key'),
    '-CAcreateserial',
    '-out',
    path('server.pem'),
    '-days',
    '2',
    '-extfile',
    path('server.ext'),
  );
  return { caFile: path('ca.pem'), certFile: path('server.pem'), keyFile: path('server.key') };
}
