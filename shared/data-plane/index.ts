export { ARCHIVE_PROTO_FILE, archiveProto, protoRoot } from './archive-proto.js';
export {
  createArchiveClient,
  pingArchiveServer,
  type ArchiveClientOptions,
  type PingOptions,
} from './archive-client.js';
export { ArchiveServer, type ArchiveServerOptions } from './archive-server.js';
export type { ArchiveAccess } from './archive-access.js';
export {
  DATA_PLANE_SERVER_NAME,
  channelCredentialsFor,
  serverCredentialsFor,
  type DataPlaneTls,
} from './data-plane-tls.js';
export type { ArchiveServerStats, NodeServeStats } from './serve-stats.js';
export type {
  ArchiveServiceClient,
  ArchiveServiceHandlers,
} from './generated/airlift/data/v1/ArchiveService.js';
export type { PingReply, PingReply__Output } from './generated/airlift/data/v1/PingReply.js';
export type { PingRequest, PingRequest__Output } from './generated/airlift/data/v1/PingRequest.js';
export { wholeArchivePieces, type PieceSource } from './piece-source.js';
export { splitHostPort } from './host-port.js';
export { fetchPieces, type FetchPiecesOptions } from './piece-stream-client.js';
export type { FramedPiece } from './piece-frames.js';
export type { FetchPiecesRequest } from './generated/airlift/data/v1/FetchPiecesRequest.js';
