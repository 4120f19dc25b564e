import { Subjects, Buckets } from '../../shared/control/subjects.js';
import type { FleetPaths } from './fleet-files.js';
import { inboxPrefixOf } from './identity-file.js';
import type { Roster } from './roster.js';

/** How long a client may take over the TLS handshake, in seconds. */
const TLS_TIMEOUT_S = 5;

interface Permissions {
  readonly publish: { readonly allow: readonly string[]; readonly deny?: readonly string[] };
  readonly subscribe: { readonly allow: readonly string[] };
  readonly allowResponses?: boolean;
}

/** The subjects agent `node` may use: its own heartbeat, events, registry key, job and inbox, nothing else. */
export function agentPermissions(node: string, nkey: string): Permissions {
  return {
    publish: {
      allow: [Subjects.heartbeat(node), Subjects.events('*', node), `$KV.${Buckets.fleet}.${node}`],
    },
    subscribe: { allow: [Subjects.job(node), `${inboxPrefixOf(nkey)}.>`] },
    // The job is a request: the agent answers on the coordinator's reply subject, which it cannot name.
    allowResponses: true,
  };
}

/** The coordinator may do anything except speak for an agent. */
export function coordinatorPermissions(): Permissions {
  return {
    // Heartbeats and events are the agents' word: the coordinator must not be able to forge them.
    publish: { allow: ['>'], deny: [Subjects.heartbeat('>'), 'airlift.v1.events.>'] },
    subscribe: { allow: ['>'] },
  };
}

/**
 * nats-server.conf for the fleet: TLS only, JetStream on, one nkey user per identity and no anonymous
 * access. Every string is quoted (JSON string syntax is valid in the NATS config format): `$KV…` would
 * otherwise read as a variable and a dotted node name as a nested key.
 */
export function renderNatsConfig(roster: Roster, paths: FleetPaths): string {
  const users = [
    userBlock('coordinator', roster.coordinator.nkey, coordinatorPermissions()),
    ...Object.entries(roster.nodes)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, node]) => userBlock(`agent ${name}`, node.nkey, agentPermissions(name, node.nkey))),
  ];
  return [
    `# airlift fleet ${roster.fleet}: generated from ${paths.roster} by \`airlift fleet\`.`,
    '# add-node and remove-node rewrite this file; reload with `nats-server --signal reload` (or SIGHUP).',
    `listen: ${q(roster.nats.listen)}`,
    '',
    'tls {',
    `  cert_file: ${q(paths.serverCert)}`,
    `  key_file: ${q(paths.serverKey)}`,
    `  timeout: ${TLS_TIMEOUT_S}`,
    '}',
    '',
    'jetstream {',
    `  store_dir: ${q(roster.nats.storeDir)}`,
    '}',
    '',
    'authorization {',
    '  users: [',
    users.join(',\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}

function userBlock(comment: string, nkey: string, permissions: Permissions): string {
  const lines = [
    `    # ${comment}`,
    '    {',
    `      nkey: ${q(nkey)}`,
    '      permissions: {',
    `        publish: { allow: ${list(permissions.publish.allow)}${permissions.publish.deny === undefined ? '' : `, deny: ${list(permissions.publish.deny)}`} }`,
    `        subscribe: { allow: ${list(permissions.subscribe.allow)} }`,
  ];
  if (permissions.allowResponses === true) lines.push('        allow_responses: true');
  lines.push('      }', '    }');
  return lines.join('\n');
}

function list(subjects: readonly string[]): string {
  return `[${subjects.map(q).join(', ')}]`;
}

function q(value: string): string {
  return JSON.stringify(value);
}
