import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { BusConnectOptions } from '../bus/bus-connect-options.js';
import { ConfigInvalidError } from '../errors/index.js';
import { Secret } from '../reference/index.js';

/** The NATS flags every networked command shares, as commander parses them. */
export interface NatsFlags {
  nats?: string;
  natsCreds?: string;
  natsUser?: string;
  natsPasswordFile?: string;
  natsTokenFile?: string;
  natsCa?: string;
  natsCert?: string;
  natsKey?: string;
}

/** Where to find NATS when no flag or environment says: a server on this node. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** Adds the NATS connection flags to a command. Secrets come from files or the environment, never argv. */
export function addNatsOptions(command: Command): Command {
  return command
    .option('--nats <urls>', `NATS server URLs, comma-separated (default ${DEFAULT_NATS_URL})`)
    .option('--nats-creds <file>', 'NATS .creds file (JWT + nkey seed)')
    .option(
      '--nats-user <user>',
      'NATS user; the password comes from --nats-password-file or env AIRLIFT_NATS_PASSWORD',
    )
    .option('--nats-password-file <file>', 'file holding the NATS password')
    .option('--nats-token-file <file>', 'file holding a NATS token; else env AIRLIFT_NATS_TOKEN holds it')
    .option('--nats-ca <file>', 'CA bundle that signed the NATS server certificate')
    .option('--nats-cert <file>', 'client certificate for NATS mutual TLS')
    .option('--nats-key <file>', 'client key for NATS mutual TLS');
}

/** Resolves the flags (and AIRLIFT_NATS_* environment) into connection options, once. */
export function natsOptionsFrom(
  flags: NatsFlags,
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): BusConnectOptions {
  const servers = (flags.nats ?? env.AIRLIFT_NATS_URL ?? DEFAULT_NATS_URL)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const password =
    flags.natsPasswordFile !== undefined
      ? secretFromFile(flags.natsPasswordFile, '--nats-password-file')
      : env.AIRLIFT_NATS_PASSWORD === undefined
        ? undefined
        : new Secret(env.AIRLIFT_NATS_PASSWORD);
  const token =
    flags.natsTokenFile !== undefined
      ? secretFromFile(flags.natsTokenFile, '--nats-token-file')
      : env.AIRLIFT_NATS_TOKEN === undefined
        ? undefined
        : new Secret(env.AIRLIFT_NATS_TOKEN);
  const tls = {
    ...(flags.natsCa === undefined ? {} : { caFile: flags.natsCa }),
    ...(flags.natsCert === undefined ? {} : { certFile: flags.natsCert }),
    ...(flags.natsKey === undefined ? {} : { keyFile: flags.natsKey }),
  };
  return {
    servers,
    name,
    ...(flags.natsCreds === undefined ? {} : { credsFile: flags.natsCreds }),
    ...(flags.natsUser === undefined ? {} : { user: flags.natsUser }),
    ...(password === undefined ? {} : { password }),
    ...(token === undefined ? {} : { token }),
    ...(Object.keys(tls).length === 0 ? {} : { tls }),
  };
}

function secretFromFile(path: string, flag: string): Secret {
  try {
    return new Secret(readFileSync(path, 'utf8').trim());
  } catch (err) {
    throw new ConfigInvalidError('command line', flag, `cannot read ${path}`, err);
  }
}
