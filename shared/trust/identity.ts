import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { COORDINATOR_NAME, NODE_NAME } from '../control/subjects.js';
import { IdentityInvalidError } from '../errors/index.js';
import { Secret } from '../reference/secret.js';
import { firstIssue } from '../validation/index.js';
import { SigningKey, VerifyKey } from './signing-key.js';

export { COORDINATOR_NAME };

export const IDENTITY_ROLES = ['agent', 'coordinator'] as const;
export type IdentityRole = (typeof IDENTITY_ROLES)[number];

const pem = (label: string) =>
  z.string().refine((text) => text.includes(`-----BEGIN ${label}-----`), `expected a PEM ${label}`);

/** An identity file as `airlift fleet init` writes it (JSON, mode 0600). */
export const identityFileSchema = z
  .object({
    v: z.literal(1),
    fleet: z.string().min(1),
    role: z.enum(IDENTITY_ROLES),
    name: z.string().regex(NODE_NAME),
    nats: z.object({
      urls: z.array(z.string().min(1)).min(1),
      seed: z.string().regex(/^SU[A-Z2-7]{56}$/, 'expected an nkey user seed (SU…)'),
      inboxPrefix: z.string().regex(/^_INBOX_[A-Z2-7]+$/),
    }),
    tls: z.object({ ca: pem('CERTIFICATE'), cert: pem('CERTIFICATE'), key: pem('PRIVATE KEY') }),
    signingKey: pem('PRIVATE KEY'),
    trust: z.object({
      coordinatorKey: pem('PUBLIC KEY').optional(),
      nodes: z.record(z.string().regex(NODE_NAME), pem('PUBLIC KEY')).optional(),
    }),
  })
  .superRefine((file, ctx) => {
    if (file.role === 'agent' && file.trust.coordinatorKey === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['trust', 'coordinatorKey'],
        message: 'an agent must trust a coordinator key',
      });
    }
    if (file.role === 'coordinator' && file.trust.nodes === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['trust', 'nodes'],
        message: 'a coordinator must list the nodes it trusts',
      });
    }
    if ((file.role === 'coordinator') !== (file.name === COORDINATOR_NAME)) {
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: `only the coordinator is named ${COORDINATOR_NAME}`,
      });
    }
  });
export type IdentityFile = z.infer<typeof identityFileSchema>;

/** A loaded identity: what this process is, the keys it proves it with, and whom it trusts. */
export interface Identity {
  /** Where it was loaded from, for messages. */
  readonly file: string;
  readonly fleet: string;
  readonly role: IdentityRole;
  readonly name: string;
  readonly nats: { readonly urls: readonly string[]; readonly seed: Secret; readonly inboxPrefix: string };
  /** Data-plane and NATS TLS: the fleet CA, this identity's certificate and its key (secret). */
  readonly tls: { readonly ca: string; readonly cert: string; readonly key: Secret };
  readonly signingKey: SigningKey;
  /** Agent: the only key jobs may be signed with. */
  readonly coordinatorKey: VerifyKey | undefined;
  /** Coordinator: each enrolled node's key. */
  readonly nodeKeys: KeyLookup;
}

/** Public keys by name. */
export interface KeyLookup {
  get(name: string): VerifyKey | undefined;
}

/**
 * Node keys parsed when first asked for: a coordinator of 1,000 nodes would otherwise parse 1,000 keys
 * at every start, and `airlift status` checks only the nodes that heartbeat.
 */
class LazyKeys implements KeyLookup {
  private readonly parsed = new Map<string, VerifyKey>();

  constructor(
    private readonly file: string,
    private readonly pems: Readonly<Record<string, string>>,
  ) {}

  get(name: string): VerifyKey | undefined {
    const cached = this.parsed.get(name);
    if (cached !== undefined) return cached;
    if (!Object.hasOwn(this.pems, name)) return undefined;
    const pem = this.pems[name] ?? '';
    let key: VerifyKey;
    try {
      key = VerifyKey.fromPem(pem);
    } catch (err) {
      throw new IdentityInvalidError(this.file, `trust.nodes.${name}`, 'is not a valid Ed25519 key', err);
    }
    this.parsed.set(name, key);
    return key;
  }
}

/** Reads and checks an identity file for `role`; errors name the file and field, never a key. */
export async function loadIdentity(file: string, role: IdentityRole): Promise<Identity> {
  let text: string;
  try {
    const info = await stat(file);
    // A key readable by others on the node is a key others may hold.
    if ((info.mode & 0o077) !== 0) {
      throw new IdentityInvalidError(
        file,
        '',
        `is readable by group or others (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it`,
      );
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof IdentityInvalidError) throw err;
    throw new IdentityInvalidError(
      file,
      '',
      `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): create it with airlift fleet init, or run with --insecure`,
      err,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new IdentityInvalidError(file, '', 'is not JSON');
  }
  const parsed = identityFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = firstIssue(parsed.error);
    throw new IdentityInvalidError(file, issue.path, issue.message);
  }
  const data = parsed.data;
  if (data.role !== role) {
    throw new IdentityInvalidError(
      file,
      'role',
      `is ${article(data.role)} identity; this command needs ${article(role)} identity`,
    );
  }
  return toIdentity(file, data);
}

function toIdentity(file: string, data: IdentityFile): Identity {
  const key = <T>(field: string, read: () => T): T => {
    try {
      return read();
    } catch (err) {
      throw new IdentityInvalidError(file, field, 'is not a valid Ed25519 key', err);
    }
  };
  const nodeKeys = new LazyKeys(file, data.trust.nodes ?? {});
  const coordinatorKey = data.trust.coordinatorKey;
  return {
    file,
    fleet: data.fleet,
    role: data.role,
    name: data.name,
    nats: { urls: data.nats.urls, seed: new Secret(data.nats.seed), inboxPrefix: data.nats.inboxPrefix },
    tls: { ca: data.tls.ca, cert: data.tls.cert, key: new Secret(data.tls.key) },
    signingKey: key('signingKey', () => SigningKey.fromPem(data.signingKey)),
    coordinatorKey:
      coordinatorKey === undefined
        ? undefined
        : key('trust.coordinatorKey', () => VerifyKey.fromPem(coordinatorKey)),
    nodeKeys,
  };
}

function article(role: IdentityRole): string {
  return role === 'agent' ? 'an agent' : 'a coordinator';
}
