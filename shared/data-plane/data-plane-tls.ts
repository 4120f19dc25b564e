import { credentials, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { COORDINATOR_NAME } from '../control/subjects.js';
import { describePeer, isPeer, peerIdentityOf } from '../trust/peer-identity.js';

/** The data plane's mutual TLS material, all PEM: the fleet CA, this identity's certificate and its key (secret). */
export interface DataPlaneTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/**
 * TLS server name sent when dialling a peer. Peers are dialled by IP, and Node warns (DEP0123) when the
 * server name is an IP; no host name is checked (the SAN identity is), so any fixed name will do.
 */
export const DATA_PLANE_SERVER_NAME = 'airlift-data-plane';

/** Server credentials: mutual TLS requiring a client certificate from the fleet CA, or plaintext without `tls`. */
export function serverCredentialsFor(tls: DataPlaneTls | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    Buffer.from(tls.ca),
    [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }],
    true,
  );
}

/**
 * Client credentials presenting this identity's certificate and accepting only a server whose
 * certificate (from the fleet CA) names `expectedPeer` (a node name or 'coordinator') in its SAN URI;
 * without `expectedPeer`, any fleet identity. The host name is not checked: agents are dialled by IP.
 */
export function channelCredentialsFor(tls: DataPlaneTls, expectedPeer?: string): ChannelCredentials {
  return credentials.createSsl(Buffer.from(tls.ca), Buffer.from(tls.key), Buffer.from(tls.cert), {
    checkServerIdentity: (_host: string, cert: PeerCertificate) => checkPeer(cert, expectedPeer),
  });
}

/** undefined when `cert` names the expected peer; otherwise an Error naming expected and actual identity. */
export function checkPeer(cert: PeerCertificate, expectedPeer: string | undefined): Error | undefined {
  const identity = peerIdentityOf(cert);
  if (expectedPeer === undefined) {
    return identity === undefined
      ? new Error('the data-plane server certificate carries no airlift identity')
      : undefined;
  }
  if (isPeer(identity, expectedPeer)) return undefined;
  const expected = expectedPeer === COORDINATOR_NAME ? COORDINATOR_NAME : `agent ${expectedPeer}`;
  return new Error(
    `the data-plane server is ${describePeer(identity)}, not ${expected} as planned: refusing it`,
  );
}
