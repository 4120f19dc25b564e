import { createFleetCa, issueCertificate, type CertifiedKey } from '../../../coordinator/fleet-setup/pki.js';
import type { DataPlaneTls } from '../../../shared/data-plane/index.js';

/** A fleet CA for tests, issuing data-plane TLS material as `airlift fleet init` would. */
export interface TestFleetCa {
  readonly caPem: string;
  /** mTLS material for `name` (a node, or 'coordinator'), trusting this CA. */
  tls(name: string): Promise<DataPlaneTls>;
  /** A certificate from this CA without an airlift identity (as the NATS server's). */
  anonymous(): Promise<DataPlaneTls>;
}

/** Creates a fleet CA (ECDSA P-256, through the fleet-setup library) for `fleetId`. */
export async function makeTestFleetCa(fleetId = 'test-fleet'): Promise<TestFleetCa> {
  const ca = await createFleetCa(fleetId);
  const material = (leaf: CertifiedKey): DataPlaneTls => ({
    ca: ca.certPem,
    cert: leaf.certPem,
    key: leaf.keyPem,
  });
  return {
    caPem: ca.certPem,
    tls: async (name) =>
      material(await issueCertificate(ca, { role: name === 'coordinator' ? 'coordinator' : 'agent', name })),
    anonymous: async () =>
      material(await issueCertificate(ca, { role: 'server', name: 'nats', hosts: ['127.0.0.1'] })),
  };
}
