import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigInvalidError } from '../../shared/errors/index.js';

const PublicIdentity = z.object({
  /** The nkey user public key (`U…`) nats-server authenticates. */
  nkey: z.string().regex(/^U[A-Z2-7]{55}$/),
  /** SPKI PEM of the Ed25519 key the identity signs control messages with. */
  signingKey: z.string().includes('BEGIN PUBLIC KEY'),
});

const RosterSchema = z.object({
  v: z.literal(1),
  fleet: z.string().min(1),
  createdAt: z.string(),
  nats: z.object({
    urls: z.array(z.string()).min(1),
    listen: z.string(),
    storeDir: z.string(),
    /** Host names and addresses on the NATS server certificate. */
    hosts: z.array(z.string()),
  }),
  coordinator: PublicIdentity,
  nodes: z.record(z.string(), PublicIdentity),
});

/** The public half of one identity as the roster records it. */
export type PublicIdentity = z.infer<typeof PublicIdentity>;
/** fleet.json: everything add-node/remove-node regenerate the trust lists and the NATS conf from; no secrets. */
export type Roster = z.infer<typeof RosterSchema>;

/** Reads and validates fleet.json; a missing or malformed roster is a configuration error. */
export async function readRoster(path: string): Promise<Roster> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigInvalidError(
      path,
      '',
      'cannot read the fleet roster: is this a fleet dir made by `airlift fleet init`?',
      err,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigInvalidError(path, '', 'is not JSON', err);
  }
  const parsed = RosterSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigInvalidError(path, issue?.path.join('.') ?? '', issue?.message ?? 'invalid roster');
  }
  return parsed.data;
}

/** fleet.json's text, nodes sorted by name so diffs stay small. */
export function renderRoster(roster: Roster): string {
  const nodes = Object.fromEntries(
    Object.entries(roster.nodes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return `${JSON.stringify({ ...roster, nodes }, null, 2)}\n`;
}
