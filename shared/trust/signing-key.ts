import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { inspect } from 'node:util';

/**
 * What a signature covers: the purpose is part of the signed bytes, so a message signed for one
 * purpose (a heartbeat) can never be replayed as another (a report).
 */
export type SignaturePurpose = 'job' | 'ack' | 'event' | 'heartbeat';

function signedBytes(purpose: SignaturePurpose, body: string): Buffer {
  return Buffer.from(`airlift/${purpose}/v1\n${body}`, 'utf8');
}

/** A public Ed25519 key that checks signatures; `id` is a short fingerprint for messages. */
export class VerifyKey {
  private fingerprint: string | undefined;

  private constructor(private readonly key: KeyObject) {}

  /** A short fingerprint, for messages; computed on first use (a coordinator loads a key per node). */
  get id(): string {
    this.fingerprint ??= createHash('sha256')
      .update(this.key.export({ format: 'der', type: 'spki' }))
      .digest('base64url')
      .slice(0, 16);
    return this.fingerprint;
  }

  /** Reads an SPKI PEM; throws when it is not an Ed25519 public key. */
  static fromPem(pem: string): VerifyKey {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519')
      throw new Error(`expected an Ed25519 key, got ${key.asymmetricKeyType ?? 'unknown'}`);
    return new VerifyKey(key);
  }

  /** The key as SPKI PEM, for rosters and identity files. */
  toPem(): string {
    return this.key.export({ format: 'pem', type: 'spki' }).toString();
  }

  /** True when `signature` (base64) is this key's signature of `body` for `purpose`. */
  verify(purpose: SignaturePurpose, body: string, signature: string): boolean {
    const raw = Buffer.from(signature, 'base64');
    if (raw.length !== 64) return false;
    return verify(null, signedBytes(purpose, body), this.key, raw);
  }
}

/** A private Ed25519 key; prints as `[signing key <id>]`, never its bytes. */
export class SigningKey {
  readonly verifyKey: VerifyKey;

  private constructor(private readonly key: KeyObject) {
    this.verifyKey = VerifyKey.fromPem(
      createPublicKey(key).export({ format: 'pem', type: 'spki' }).toString(),
    );
  }

  /** A new random key. */
  static generate(): SigningKey {
    return new SigningKey(generateKeyPairSync('ed25519').privateKey);
  }

  /** Reads a PKCS#8 PEM; throws when it is not an Ed25519 private key. */
  static fromPem(pem: string): SigningKey {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ed25519')
      throw new Error(`expected an Ed25519 key, got ${key.asymmetricKeyType ?? 'unknown'}`);
    return new SigningKey(key);
  }

  /** The key as PKCS#8 PEM, only for writing an identity file. */
  toPem(): string {
    return this.key.export({ format: 'pem', type: 'pkcs8' }).toString();
  }

  /** The base64 signature of `body` for `purpose`. */
  sign(purpose: SignaturePurpose, body: string): string {
    return sign(null, signedBytes(purpose, body), this.key).toString('base64');
  }

  toString(): string {
    return `[signing key ${this.verifyKey.id}]`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
