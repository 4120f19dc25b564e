/** A parsed `WWW-Authenticate` challenge. */
export interface AuthChallenge {
  readonly scheme: 'basic' | 'bearer';
  readonly params: Readonly<Record<string, string>>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`; undefined for other schemes. */
export function parseChallenge(header: string | undefined): AuthChallenge | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (match?.[1] === undefined) return undefined;
  const scheme = match[1].toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  const pair = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (const m of (match[2] ?? '').matchAll(pair)) {
    const key = m[1];
    if (key !== undefined) params[key.toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme, params };
}

/** The token-endpoint URL for a bearer challenge and the scopes a request needs. */
export function tokenUrl(challenge: AuthChallenge, scopes: readonly string[]): URL {
  const realm = challenge.params['realm'];
  if (realm === undefined) throw new Error('bearer challenge without a realm');
  const url = new URL(realm);
  const service = challenge.params['service'];
  if (service !== undefined) url.searchParams.set('service', service);
  const wanted = new Set(scopes);
  const offered = challenge.params['scope'];
  if (offered !== undefined) for (const scope of offered.split(' ')) wanted.add(scope);
  for (const scope of wanted) url.searchParams.append('scope', scope);
  return url;
}

/** The token in a token-endpoint answer (`token`, or OAuth's `access_token`). */
export function tokenFromResponse(body: Buffer): string | undefined {
  try {
    const json = JSON.parse(body.toString('utf8')) as { token?: unknown; access_token?: unknown };
    if (typeof json.token === 'string' && json.token !== '') return json.token;
    if (typeof json.access_token === 'string' && json.access_token !== '') return json.access_token;
  } catch {
    // Not JSON: no token.
  }
  return undefined;
}

/** The push/pull scope of a repository. */
export function repositoryScope(repository: string, actions = 'pull,push'): string {
  return `repository:${repository}:${actions}`;
}
