import { ConfigInvalidError } from '../../shared/errors/index.js';
import { COORDINATOR_NAME, NODE_NAME } from '../../shared/control/subjects.js';

/** Refuses a node name that cannot be a subject token, is the coordinator's, or is taken (ignoring case). */
export function checkNodeName(name: string, taken: Iterable<string>, where = 'command line'): void {
  if (!NODE_NAME.test(name)) {
    throw new ConfigInvalidError(
      where,
      'node',
      `${JSON.stringify(name)} is not a node name: letters, digits, '.', '_' and '-' only, starting and ending with a letter or digit`,
    );
  }
  if (name.toLowerCase() === COORDINATOR_NAME) {
    throw new ConfigInvalidError(
      where,
      'node',
      `${JSON.stringify(name)} is reserved for the coordinator's identity`,
    );
  }
  const lower = name.toLowerCase();
  for (const other of taken) {
    if (other.toLowerCase() === lower) {
      // Host names ignore case, NATS subjects do not: two spellings of one host would be two identities.
      throw new ConfigInvalidError(
        where,
        'node',
        `${JSON.stringify(name)} is already in the fleet (as ${JSON.stringify(other)})`,
      );
    }
  }
}

/** Checks every name of a new fleet, duplicates included. */
export function checkNodeNames(names: readonly string[]): void {
  const seen: string[] = [];
  for (const name of names) {
    checkNodeName(name, seen, '--nodes');
    seen.push(name);
  }
}

/** `host:port` nats-server can listen on (port -1 lets the server pick one). */
export function checkListen(listen: string): { host: string; port: number } {
  const m = /^(.+):(-1|\d{1,5})$/.exec(listen);
  const port = Number(m?.[2]);
  if (m?.[1] === undefined || port > 65535) {
    throw new ConfigInvalidError(
      'command line',
      '--nats-listen',
      `${JSON.stringify(listen)} is not host:port`,
    );
  }
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

/** A URL clients dial: tls:// (or nats://, which nats.js upgrades when the server demands TLS). */
export function checkNatsUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    // The text is not echoed: a mistyped URL may still hold a password.
    throw new ConfigInvalidError('command line', '--nats-url', 'is not a URL such as tls://HOST:4222', err);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new ConfigInvalidError(
      'command line',
      '--nats-url',
      'must not carry credentials: identities use nkeys',
    );
  }
  if ((parsed.protocol !== 'tls:' && parsed.protocol !== 'nats:') || parsed.hostname === '') {
    throw new ConfigInvalidError('command line', '--nats-url', `${JSON.stringify(url)}: use tls://HOST:PORT`);
  }
  return parsed;
}
