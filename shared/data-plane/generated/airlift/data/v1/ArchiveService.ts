// Original file: proto/airlift/data/v1/archive.proto

import type * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import type {
  FetchPiecesRequest as _airlift_data_v1_FetchPiecesRequest,
  FetchPiecesRequest__Output as _airlift_data_v1_FetchPiecesRequest__Output,
} from '../../../airlift/data/v1/FetchPiecesRequest.js';
import type {
  Piece as _airlift_data_v1_Piece,
  Piece__Output as _airlift_data_v1_Piece__Output,
} from '../../../airlift/data/v1/Piece.js';
import type {
  PingReply as _airlift_data_v1_PingReply,
  PingReply__Output as _airlift_data_v1_PingReply__Output,
} from '../../../airlift/data/v1/PingReply.js';
import type {
  PingRequest as _airlift_data_v1_PingRequest,
  PingRequest__Output as _airlift_data_v1_PingRequest__Output,
} from '../../../airlift/data/v1/PingRequest.js';

/**
 * Serves the archives a node holds, by archive id (the sha256 hex of images.tar).
 */
export interface ArchiveServiceClient extends grpc.Client {
  /**
   * Streams whole pieces of an archive in index order from `from_piece`, each as soon as the
   * server holds it: a peer still receiving the archive forwards pieces while they arrive
   * (a pipelined chain or tree). The receiver checks every piece against the manifest's digest.
   * Unknown archive: NOT_FOUND. from_piece past the end: OUT_OF_RANGE.
   */
  FetchPieces(
    argument: _airlift_data_v1_FetchPiecesRequest,
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_airlift_data_v1_Piece__Output>;
  FetchPieces(
    argument: _airlift_data_v1_FetchPiecesRequest,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_airlift_data_v1_Piece__Output>;
  /**
   * Streams whole pieces of an archive in index order from `from_piece`, each as soon as the
   * server holds it: a peer still receiving the archive forwards pieces while they arrive
   * (a pipelined chain or tree). The receiver checks every piece against the manifest's digest.
   * Unknown archive: NOT_FOUND. from_piece past the end: OUT_OF_RANGE.
   */
  fetchPieces(
    argument: _airlift_data_v1_FetchPiecesRequest,
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_airlift_data_v1_Piece__Output>;
  fetchPieces(
    argument: _airlift_data_v1_FetchPiecesRequest,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_airlift_data_v1_Piece__Output>;

  /**
   * Liveness and version of the serving side; cheap, touches no archive.
   */
  Ping(
    argument: _airlift_data_v1_PingRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_airlift_data_v1_PingReply__Output>,
  ): grpc.ClientUnaryCall;
  Ping(
    argument: _airlift_data_v1_PingRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_airlift_data_v1_PingReply__Output>,
  ): grpc.ClientUnaryCall;
  Ping(
    argument: _airlift_data_v1_PingRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_airlift_data_v1_PingReply__Output>,
  ): grpc.ClientUnaryCall;
  Ping(
    argument: _airlift_data_v1_PingRequest,
    callback: grpc.requestCallback<_airlift_data_v1_PingReply__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * Liveness and version of the serving side; cheap, touches no archive.
   */
  ping(
    argument: _airlift_data_v1_PingRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_airlift_data_v1_PingReply__Output>,
  ): grpc.ClientUnaryCall;
  ping(
    argument: _airlift_data_v1_PingRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_airlift_data_v1_PingReply__Output>,
  ): grpc.ClientUnaryCall;
  ping(
    argument: _airlift_data_v1_PingRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_airlift_data_v1_PingReply__Output>,
  ): grpc.ClientUnaryCall;
  ping(
    argument: _airlift_data_v1_PingRequest,
    callback: grpc.requestCallback<_airlift_data_v1_PingReply__Output>,
  ): grpc.ClientUnaryCall;
}

/**
 * Serves the archives a node holds, by archive id (the sha256 hex of images.tar).
 */
export interface ArchiveServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Streams whole pieces of an archive in index order from `from_piece`, each as soon as the
   * server holds it: a peer still receiving the archive forwards pieces while they arrive
   * (a pipelined chain or tree). The receiver checks every piece against the manifest's digest.
   * Unknown archive: NOT_FOUND. from_piece past the end: OUT_OF_RANGE.
   */
  FetchPieces: grpc.handleServerStreamingCall<
    _airlift_data_v1_FetchPiecesRequest__Output,
    _airlift_data_v1_Piece
  >;

  /**
   * Liveness and version of the serving side; cheap, touches no archive.
   */
  Ping: grpc.handleUnaryCall<_airlift_data_v1_PingRequest__Output, _airlift_data_v1_PingReply>;
}

export interface ArchiveServiceDefinition extends grpc.ServiceDefinition {
  FetchPieces: MethodDefinition<
    _airlift_data_v1_FetchPiecesRequest,
    _airlift_data_v1_Piece,
    _airlift_data_v1_FetchPiecesRequest__Output,
    _airlift_data_v1_Piece__Output
  >;
  Ping: MethodDefinition<
    _airlift_data_v1_PingRequest,
    _airlift_data_v1_PingReply,
    _airlift_data_v1_PingRequest__Output,
    _airlift_data_v1_PingReply__Output
  >;
}
