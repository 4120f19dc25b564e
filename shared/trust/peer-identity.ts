import type { PeerCertificate } from 'node:tls';
import { COORDINATOR_NAME, NODE_NAME } from '../control/subjects.js';

/** Who a fleet certificate names: an agent (by node name) or the coordinator. */
export type PeerIdentity =
  | { readonly role: 'agent'; readonly name: string }
  | { readonly role: 'coordinator'; readonly name: typeof COORDINATOR_NAME };

/** A certificate as node:tls (`subjectaltname`) or node:crypto's X509Certificate (`subjectAltName`) shows it. */
export type CertificateWithSans =
  Pick<PeerCertificate, 'subjectaltname'> | { readonly subjectAltName?: string | undefined };

const URI_PREFIX = 'airlift://';
const AGENT_PREFIX = 'airlift://agent/';
const COORDINATOR_URI = 'airlift://coordinator';

/** The SAN URI that names an identity in its certificate: what the fleet CA writes and peerIdentityOf reads. */
export function identityUri(role: 'agent' | 'coordinator', name: string): string {
  return role === 'coordinator' ? COORDINATOR_URI : `${AGENT_PREFIX}${name}`;
}

/**
 * The identity in a certificate's SAN URI (`airlift://agent/<node>` or `airlift://coordinator`), the
 * only place a peer's identity is read from: the CN and DNS/IP names are not identities. Undefined when
 * there is none, or more than one (ambiguous), or it is malformed.
 */
export function peerIdentityOf(cert: CertificateWithSans | null | undefined): PeerIdentity | undefined {
  if (cert === null || cert === undefined) return undefined;
  const both = cert as { readonly subjectaltname?: unknown; readonly subjectAltName?: unknown };
  const text = both.subjectaltname ?? both.subjectAltName;
  if (typeof text !== 'string' || text === '') return undefined;
  const names = parseSubjectAltNames(text);
  if (names === undefined) return undefined;
  const uris = names.filter((n) => n.type === 'URI' && n.value.startsWith(URI_PREFIX));
  const [only, ...others] = uris;
  if (only === undefined || others.length > 0) return undefined;
  if (only.value === COORDINATOR_URI) return { role: 'coordinator', name: COORDINATOR_NAME };
  if (!only.value.startsWith(AGENT_PREFIX)) return undefined;
  const name = only.value.slice(AGENT_PREFIX.length);
  // The coordinator's name is reserved: an agent certificate naming it would pass for the coordinator in logs.
  if (!NODE_NAME.test(name) || name === COORDINATOR_NAME) return undefined;
  return { role: 'agent', name };
}

/** Whether `identity` is `expected`: a node name (an agent) or 'coordinator'. */
export function isPeer(identity: PeerIdentity | undefined, expected: string): boolean {
  if (identity === undefined) return false;
  return expected === COORDINATOR_NAME
    ? identity.role === 'coordinator'
    : identity.role === 'agent' && identity.name === expected;
}

/** `agent node-1`, `coordinator`, or `a peer without an airlift identity`: for logs and refusals. */
export function describePeer(identity: PeerIdentity | undefined): string {
  if (identity === undefined) return 'a peer without an airlift identity';
  return identity.role === 'coordinator' ? COORDINATOR_NAME : `agent ${identity.name}`;
}

interface GeneralName {
  readonly type: string;
  readonly value: string;
}

/**
 * Splits Node's rendering of subjectAltName (`URI:a, DNS:b, IP Address:c`). Node quotes a value that
 * holds a separator or quote as a JSON string, so a name cannot smuggle in a second entry; anything
 * that does not parse cleanly yields undefined rather than a guess.
 */
function parseSubjectAltNames(text: string): GeneralName[] | undefined {
  const names: GeneralName[] = [];
  let at = 0;
  while (at < text.length) {
    const colon = text.indexOf(':', at);
    if (colon < 0) return undefined;
    const type = text.slice(at, colon);
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      const close = closingQuote(text, colon + 2);
      if (close < 0) return undefined;
      try {
        value = JSON.parse(text.slice(colon + 1, close + 1)) as string;
      } catch {
        return undefined;
      }
      end = close + 1;
    } else {
      const comma = text.indexOf(', ', colon + 1);
      end = comma < 0 ? text.length : comma;
      value = text.slice(colon + 1, end);
    }
    names.push({ type, value });
    if (end === text.length) break;
    if (!text.startsWith(', ', end)) return undefined;
    at = end + 2;
  }
  return names;
}

/** Index of the unescaped `"` ending a JSON string whose body starts at `from`, or -1. */
function closingQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}
