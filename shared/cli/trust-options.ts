import type { Command } from 'commander';
import type { BusConnectOptions } from '../bus/bus-connect-options.js';
import type { DataPlaneTls } from '../data-plane/data-plane-tls.js';
import { ConfigInvalidError } from '../errors/index.js';
import {
  agentTrust,
  coordinatorTrust,
  insecureTrust,
  loadIdentity,
  type Identity,
  type IdentityRole,
  type TrustContext,
} from '../trust/index.js';
import type { CliOutput } from './run-command.js';
import { natsOptionsFrom, type NatsFlags } from './nats-options.js';

/** The trust flags every networked command shares. */
export interface TrustFlags extends NatsFlags {
  identity?: string;
  insecure?: boolean;
}

/** Where each side looks for its identity when --identity is not given. */
export const DEFAULT_IDENTITY_FILES: Readonly<Record<IdentityRole, string>> = {
  agent: '/etc/airlift/agent.json',
  coordinator: '/etc/airlift/fleet/coordinator.json',
};

/** Adds --identity and --insecure. */
export function addTrustOptions(command: Command, role: IdentityRole): Command {
  return command
    .option(
      '--identity <file>',
      `this ${role}'s identity from airlift fleet init (default ${DEFAULT_IDENTITY_FILES[role]})`,
    )
    .option(
      '--insecure',
      'run without an identity: nothing is signed or checked and the data plane is plaintext (never in production)',
      false,
    );
}

/** What a command needs to talk to the fleet: how to sign and check, how to reach NATS, data-plane TLS. */
export interface TrustSetup {
  readonly trust: TrustContext;
  readonly identity: Identity | undefined;
  readonly nats: BusConnectOptions;
  readonly dataPlaneTls: DataPlaneTls | undefined;
}

export const INSECURE_WARNING =
  'WARNING: --insecure: jobs and reports are not signed, the data plane is plaintext and open, and anyone who reaches NATS can command the agents. Set up the fleet with `airlift fleet init` instead.';

/**
 * Resolves --identity / --insecure and the NATS flags, once: the identity's nkey, inbox prefix and CA
 * for NATS (its URLs unless --nats or AIRLIFT_NATS_URL say otherwise), its certificate for the data
 * plane, and its keys for signing. --insecure prints a warning every time.
 */
export async function resolveTrust(
  flags: TrustFlags,
  role: IdentityRole,
  clientName: string,
  output: CliOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TrustSetup> {
  if (flags.insecure === true) {
    if (flags.identity !== undefined) {
      throw new ConfigInvalidError('command line', '--insecure', 'give --identity or --insecure, not both');
    }
    output.err(`airlift: ${INSECURE_WARNING}`);
    return {
      trust: insecureTrust(clientName),
      identity: undefined,
      nats: natsOptionsFrom(flags, clientName, env),
      dataPlaneTls: undefined,
    };
  }
  const credentialFlags = [flags.natsCreds, flags.natsUser, flags.natsTokenFile].filter(
    (f) => f !== undefined,
  );
  if (credentialFlags.length > 0) {
    throw new ConfigInvalidError(
      'command line',
      '--identity',
      'the identity carries the NATS credentials: drop --nats-creds, --nats-user and --nats-token-file, or use --insecure',
    );
  }
  const identity = await loadIdentity(
    flags.identity ?? env.AIRLIFT_IDENTITY ?? DEFAULT_IDENTITY_FILES[role],
    role,
  );
  const fromFlags = natsOptionsFrom(flags, clientName, env);
  const explicitServers = flags.nats !== undefined || env.AIRLIFT_NATS_URL !== undefined;
  // Only the identity's credentials: a stray AIRLIFT_NATS_PASSWORD must not join them.
  const nats: BusConnectOptions = {
    name: clientName,
    servers: explicitServers ? fromFlags.servers : [...identity.nats.urls],
    nkeySeed: identity.nats.seed,
    inboxPrefix: identity.nats.inboxPrefix,
    tls: fromFlags.tls ?? { ca: identity.tls.ca },
  };
  return {
    trust: role === 'agent' ? agentTrust(identity) : coordinatorTrust(identity),
    identity,
    nats,
    dataPlaneTls: { ca: identity.tls.ca, cert: identity.tls.cert, key: identity.tls.key.reveal() },
  };
}
