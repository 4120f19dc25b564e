import { generateKeyPairSync } from 'node:crypto';
import { createUser } from '@nats-io/nkeys';
import { issueCertificate, type CertifiedKey } from './pki.js';
import type { IdentityFile } from '../../shared/trust/index.js';
import type { PublicIdentity } from './roster.js';

/** Trust block of an agent: the only key jobs may be signed with. */
export interface AgentTrust {
  readonly coordinatorKey: string;
}

/** Trust block of the coordinator: each node's signing key (SPKI PEM) by node name. */
export interface CoordinatorTrust {
  readonly nodes: Readonly<Record<string, string>>;
}

/** One identity file as written to disk: exactly the layout shared/trust/identity.ts parses. */
export type { IdentityFile };

/** What newIdentity needs besides the trust block. */
export interface IdentityInput {
  readonly fleet: string;
  readonly role: 'agent' | 'coordinator';
  readonly name: string;
  readonly natsUrls: readonly string[];
  readonly ca: CertifiedKey;
  readonly trust: AgentTrust | CoordinatorTrust;
}

/** The identity's file and its public half for the roster. */
export interface NewIdentity {
  readonly file: IdentityFile;
  readonly public: PublicIdentity;
}

/** Inbox prefix of an nkey user: nats-server lets each identity subscribe to its own inboxes only. */
export function inboxPrefixOf(nkeyPublic: string): string {
  return `_INBOX_${nkeyPublic}`;
}

/** Makes fresh keys for one identity: an nkey user, an Ed25519 signing key and a CA-signed certificate. */
export async function newIdentity(input: IdentityInput): Promise<NewIdentity> {
  const user = createUser();
  const nkey = user.getPublicKey();
  const seed = new TextDecoder().decode(user.getSeed());
  user.clear();
  const signing = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { format: 'pem', type: 'pkcs8' },
    publicKeyEncoding: { format: 'pem', type: 'spki' },
  });
  const tls = await issueCertificate(input.ca, { role: input.role, name: input.name });
  const file: IdentityFile = {
    v: 1,
    fleet: input.fleet,
    role: input.role,
    name: input.name,
    nats: { urls: [...input.natsUrls], seed, inboxPrefix: inboxPrefixOf(nkey) },
    tls: { ca: input.ca.certPem, cert: tls.certPem, key: tls.keyPem },
    signingKey: signing.privateKey,
    trust: input.trust,
  };
  return { file, public: { nkey, signingKey: signing.publicKey } };
}

/** The coordinator's trust block for the roster's nodes. */
export function coordinatorTrust(nodes: Readonly<Record<string, PublicIdentity>>): CoordinatorTrust {
  return {
    nodes: Object.fromEntries(
      Object.entries(nodes)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, node]) => [name, node.signingKey]),
    ),
  };
}

/** An identity file's text. */
export function renderIdentity(file: IdentityFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}
