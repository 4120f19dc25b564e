import type { Sealer, TrustPolicy } from './envelope.js';
import { COORDINATOR_NAME } from '../control/subjects.js';
import type { Identity } from './identity.js';

/** How one process signs what it sends and checks what it receives. */
export interface TrustContext {
  readonly sealer: Sealer;
  readonly policy: TrustPolicy;
  /** True under `--insecure`: nothing is signed or checked. */
  readonly insecure: boolean;
}

/** An agent signs as its node and trusts only the coordinator's key. */
export function agentTrust(identity: Identity): TrustContext {
  const coordinatorKey = identity.coordinatorKey;
  return {
    sealer: { name: identity.name, key: identity.signingKey },
    policy: {
      kind: 'signed',
      keyFor: (signer) => (signer === COORDINATOR_NAME ? coordinatorKey : undefined),
    },
    insecure: false,
  };
}

/** The coordinator signs as `coordinator` and trusts each enrolled node's own key. */
export function coordinatorTrust(identity: Identity): TrustContext {
  return {
    sealer: { name: COORDINATOR_NAME, key: identity.signingKey },
    policy: { kind: 'signed', keyFor: (signer) => identity.nodeKeys.get(signer) },
    insecure: false,
  };
}

/** `--insecure`: unsigned messages out, anything accepted in. */
export function insecureTrust(name: string): TrustContext {
  return { sealer: { name, key: undefined }, policy: { kind: 'insecure' }, insecure: true };
}
