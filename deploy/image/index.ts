export {
  buildAgentImage,
  agentImageReference,
  agentBundleFileName,
  AGENT_IMAGE_REGISTRY,
  AGENT_IMAGE_REPOSITORY,
  type AgentImage,
  type AgentImageFile,
  type BuildAgentImageOptions,
} from './build-agent-image.js';
export { writeAgentBundle, AGENT_BUNDLE_NAME, type AgentBundleOptions } from './agent-bundle.js';
export { AGENT_ENTRYPOINT, AGENT_EXECUTABLE_PATH } from './agent-image-config.js';
export { sharedLibrariesOf, parseLddOutput, type SharedLibrary } from './shared-libraries.js';
