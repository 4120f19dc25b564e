import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import type * as X509 from '@peculiar/x509';
import { identityUri } from '../../shared/trust/index.js';

/** A certificate and its private key, both PEM (the key PKCS#8). */
export interface CertifiedKey {
  readonly certPem: string;
  readonly keyPem: string;
}

/** Who a leaf certificate is for; `server` is the NATS server (host names only, no identity URI). */
export interface CertificateSubject {
  readonly role: 'agent' | 'coordinator' | 'server';
  readonly name: string;
  /** DNS names and IP addresses the certificate is valid for (IPs become IP SANs). */
  readonly hosts?: readonly string[];
}

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const CA_YEARS = 10;
const LEAF_YEARS = 5;

let loading: Promise<typeof X509> | undefined;

/**
 * @peculiar/x509 (with its reflect polyfill and DI container) loads on first use: only `airlift fleet`
 * issues certificates, and every other command (each agent start, each `airlift status`) would pay
 * for evaluating it.
 */
function x509Lib(): Promise<typeof X509> {
  loading ??= (async () => {
    await import('reflect-metadata');
    const lib = await import('@peculiar/x509');
    // It needs a WebCrypto provider; Node's own is the only one airlift ships.
    lib.cryptoProvider.set(webcrypto as ReturnType<typeof lib.cryptoProvider.get>);
    return lib;
  })();
  return loading;
}

/** Creates the fleet CA: ECDSA P-256, self-signed, CA:true with keyCertSign, valid 10 years. */
export async function createFleetCa(fleetId: string): Promise<CertifiedKey> {
  const x509 = await x509Lib();
  const keys = await generateKeys();
  const name = `CN=airlift fleet ${escapeDnValue(fleetId)} CA`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    notBefore: backdated(),
    notAfter: yearsFromNow(CA_YEARS),
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: pemText(cert.toString('pem')), keyPem: await exportKeyPem(keys.privateKey) };
}

/** Issues a leaf certificate (ECDSA P-256, serverAuth + clientAuth, 5 years) signed by the fleet CA. */
export async function issueCertificate(ca: CertifiedKey, subject: CertificateSubject): Promise<CertifiedKey> {
  const x509 = await x509Lib();
  const { caCert, caKey } = await issuerOf(ca);
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${escapeDnValue(subject.name)}`,
    issuer: caCert.subject,
    notBefore: backdated(),
    notAfter: yearsFromNow(LEAF_YEARS),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension(subjectAltNames(subject)),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ],
  });
  return { certPem: pemText(cert.toString('pem')), keyPem: await exportKeyPem(keys.privateKey) };
}

// A fleet of 1,000 nodes issues 1,000 certificates from one CA: parse its certificate and import its
// key once, not per certificate.
const issuers = new Map<string, Promise<{ caCert: X509.X509Certificate; caKey: webcrypto.CryptoKey }>>();

function issuerOf(ca: CertifiedKey): Promise<{ caCert: X509.X509Certificate; caKey: webcrypto.CryptoKey }> {
  const id = `${ca.certPem}\n${ca.keyPem}`;
  let issuer = issuers.get(id);
  if (issuer === undefined) {
    issuer = (async () => {
      const x509 = await x509Lib();
      return { caCert: new x509.X509Certificate(ca.certPem), caKey: await importKeyPem(ca.keyPem) };
    })();
    issuers.set(id, issuer);
  }
  return issuer;
}

function subjectAltNames(subject: CertificateSubject): X509.JsonGeneralNames {
  const names: X509.JsonGeneralNames = [];
  if (subject.role !== 'server') names.push({ type: 'url', value: identityUri(subject.role, subject.name) });
  for (const host of new Set(subject.hosts ?? [])) {
    names.push({ type: isIP(host) === 0 ? 'dns' : 'ip', value: host });
  }
  return names;
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
}

async function exportKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
}

async function importKeyPem(pem: string): Promise<webcrypto.CryptoKey> {
  // node:crypto reads any PEM flavour (PKCS#8 or SEC1); WebCrypto wants PKCS#8 DER.
  const der = createPrivateKey(pem).export({ format: 'der', type: 'pkcs8' });
  return webcrypto.subtle.importKey('pkcs8', der, EC_P256, false, ['sign']);
}

// PEM files end with a newline (openssl and nats-server expect it; Node's X509Certificate prints one).
function pemText(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

function randomSerial(): string {
  const bytes = randomBytes(16);
  // A positive INTEGER: the top bit clear, and not starting with a zero byte that DER would strip.
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

// A few minutes of slack so a peer whose clock lags a little still accepts a freshly issued certificate.
function backdated(): Date {
  return new Date(Date.now() - 5 * 60_000);
}

function yearsFromNow(years: number): Date {
  const at = new Date();
  at.setUTCFullYear(at.getUTCFullYear() + years);
  return at;
}

// RFC 4514: node names carry only DNS characters, but the fleet id is free text.
function escapeDnValue(value: string): string {
  return value.replace(/[\\,+"<>;=#]/g, (c) => `\\${c}`);
}
