export {
  type RegistryClient,
  type RegistryClientOptions,
  type RegistryCredentials,
  type FetchedManifest,
  type BlobBody,
  type BlobOutcome,
  MANIFEST_MEDIA_TYPES,
} from './registry-client.js';
export { createRegistryClient } from './http-registry-client.js';
export {
  RegistryAuthFailedError,
  RegistryRequestFailedError,
  RegistryUnreachableError,
  type RegistryWhere,
} from './registry-errors.js';
export { parseChallenge, type AuthChallenge } from './registry-auth.js';
