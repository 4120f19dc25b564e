export { SigningKey, VerifyKey, type SignaturePurpose } from './signing-key.js';
export { seal, openEnvelope, openMessage, type Sealer, type TrustPolicy, type Opened } from './envelope.js';
export {
  COORDINATOR_NAME,
  IDENTITY_ROLES,
  identityFileSchema,
  loadIdentity,
  type Identity,
  type IdentityFile,
  type IdentityRole,
  type KeyLookup,
} from './identity.js';
export { agentTrust, coordinatorTrust, insecureTrust, type TrustContext } from './trust-context.js';
export {
  describePeer,
  identityUri,
  isPeer,
  peerIdentityOf,
  type CertificateWithSans,
  type PeerIdentity,
} from './peer-identity.js';
