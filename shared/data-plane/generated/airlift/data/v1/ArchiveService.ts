// Original file: proto/airlift/data/v1/archive.proto

import type * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import type {
  FetchPiecesRequest as _airlift_data_v1_FetchPiecesRequest,
  FetchPiecesRequest__Output as _airlift_data_v1_FetchPiecesRequest__Output,
} from '../../../airlift/data/v1/FetchPiecesRequest.js';
import type {
  PieceStreamTicket as _airlift_data_v1_PieceStreamTicket,
  PieceStreamTicket__Output as _airlift_data_v1_PieceStreamTicket__Output,
} from '../../../airlift/data/v1/PieceStreamTicket.js';
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
   * Admits a fetch of whole pieces of an archive in index order from `from_piece`, and answers where
   * to read them: the piece stream sends each piece as soon as the server holds it, so a peer still
   * receiving the archive forwards pieces while they arrive (a pipelined chain or tree). The receiver
   * checks every piece against the manifest's digest.
   * Unknown archive: NOT_FOUND. from_piece past the end: OUT_OF_RANGE. Not this caller's: PERMISSION_DENIED.
   */
  OpenPieceStream(
    argument: _airlift_data_v1_FetchPiecesRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_airlift_data_v1_PieceStreamTicket__Output>,
  ): grpc.ClientUnaryCall;
  OpenPieceStream(
    argument: _airlift_data_v1_FetchPiecesRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_airlift_data_v1_PieceStreamTicket__Output>,
  ): grpc.ClientUnaryCall;
  OpenPieceStream(
    argument: _airlift_data_v1_FetchPiecesRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_airlift_data_v1_PieceStreamTicket__Output>,
  ): grpc.ClientUnaryCall;
  OpenPieceStream(
    argument: _airlift_data_v1_FetchPiecesRequest,
    callback: grpc.requestCallback<_airlift_data_v1_PieceStreamTicket__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * Admits a fetch of whole pieces of an archive in index order from `from_piece`, and answers where
   * to read them: the piece stream sends each piece as soon as the server holds it, so a peer still
   * receiving the archive forwards pieces while they arrive (a pipelined chain or tree). The receiver
   * checks every piece against the manifest's digest.
   * Unknown archive: NOT_FOUND. from_piece past the end: OUT_OF_RANGE. Not this caller's: PERMISSION_DENIED.
   */
  openPieceStream(
    argument: _airlift_data_v1_FetchPiecesRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_airlift_data_v1_PieceStreamTicket__Output>,
  ): grpc.ClientUnaryCall;
  openPieceStream(
    argument: _airlift_data_v1_FetchPiecesRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_airlift_data_v1_PieceStreamTicket__Output>,
  ): grpc.ClientUnaryCall;
  openPieceStream(
    argument: _airlift_data_v1_FetchPiecesRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_airlift_data_v1_PieceStreamTicket__Output>,
  ): grpc.ClientUnaryCall;
  openPieceStream(
    argument: _airlift_data_v1_FetchPiecesRequest,
    callback: grpc.requestCallback<_airlift_data_v1_PieceStreamTicket__Output>,
  ): grpc.ClientUnaryCall;

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
   * Admits a fetch of whole pieces of an archive in index order from `from_piece`, and answers where
   * to read them: the piece stream sends each piece as soon as the server holds it, so a peer still
   * receiving the archive forwards pieces while they arrive (a pipelined chain or tree). The receiver
   * checks every piece against the manifest's digest.
   * Unknown archive: NOT_FOUND. from_piece past the end: OUT_OF_RANGE. Not this caller's: PERMISSION_DENIED.
   */
  OpenPieceStream: grpc.handleUnaryCall<
    _airlift_data_v1_FetchPiecesRequest__Output,
    _airlift_data_v1_PieceStreamTicket
  >;

  /**
   * Liveness and version of the serving side; cheap, touches no archive.
   */
  Ping: grpc.handleUnaryCall<_airlift_data_v1_PingRequest__Output, _airlift_data_v1_PingReply>;
}

export interface ArchiveServiceDefinition extends grpc.ServiceDefinition {
  OpenPieceStream: MethodDefinition<
    _airlift_data_v1_FetchPiecesRequest,
    _airlift_data_v1_PieceStreamTicket,
    _airlift_data_v1_FetchPiecesRequest__Output,
    _airlift_data_v1_PieceStreamTicket__Output
  >;
  Ping: MethodDefinition<
    _airlift_data_v1_PingRequest,
    _airlift_data_v1_PingReply,
    _airlift_data_v1_PingRequest__Output,
    _airlift_data_v1_PingReply__Output
  >;
}
