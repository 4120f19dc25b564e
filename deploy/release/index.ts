export { buildRelease, RELEASE_UNITS, type Release, type ReleaseOptions } from './build-release.js';
export { releaseArch, releaseTarget, type ReleaseTarget } from './release-target.js';
export { buildSeaExecutable, type SeaBuild } from './sea-executable.js';
export type { AgentImageResult } from './agent-image-step.js';
