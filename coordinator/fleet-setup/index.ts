export { createFleetCa, issueCertificate, type CertifiedKey, type CertificateSubject } from './pki.js';
export {
  initFleet,
  DEFAULT_NATS_LISTEN,
  DEFAULT_NATS_STORE_DIR,
  type FleetInitOptions,
  type FleetWriteResult,
} from './fleet-init.js';
export { addNode, removeNode, showFleet } from './fleet-nodes.js';
export { fleetPaths, DEFAULT_FLEET_DIR, type FleetPaths } from './fleet-files.js';
export { type Roster, type PublicIdentity } from './roster.js';
export { type IdentityFile, inboxPrefixOf } from './identity-file.js';
export { agentPermissions, coordinatorPermissions, renderNatsConfig } from './nats-config.js';
