export { WIRE_VERSION, NODE_NAME, COORDINATOR_NAME, RUN_ID, Subjects, Buckets } from './subjects.js';
export { heartbeatSchema, type Heartbeat } from './heartbeat.js';
export {
  jobSchema,
  jobAckSchema,
  loadImagesPayloadSchema,
  checkRegistryImagesPayloadSchema,
  registryImageSchema,
  registryAccessSchema,
  type CheckRegistryImagesPayload,
  type CheckRegistryImagesPayloadInput,
  type RegistryImage,
  type RegistryAccess,
  archiveDescriptorSchema,
  retagPlanSchema,
  MAX_STRIPES,
  pieceSourceSchema,
  type PieceSourceRef,
  type Job,
  type LoadImagesJob,
  type CheckRegistryImagesJob,
  type JobAck,
  type LoadImagesPayload,
  type LoadImagesPayloadInput,
  type JobInput,
  type ArchiveDescriptor,
} from './job.js';
export {
  jobEventSchema,
  NODE_PHASES,
  type JobEvent,
  type JobEventBody,
  type NodePhase,
} from './job-event.js';
export { runStateSchema, RUN_PHASES, type RunState, type RunPhase, type NodeRunState } from './run-state.js';
export { decodeMessage, encodeMessage, WireMessageError } from './decode.js';
