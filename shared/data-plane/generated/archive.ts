import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type {
  ArchiveServiceClient as _airlift_data_v1_ArchiveServiceClient,
  ArchiveServiceDefinition as _airlift_data_v1_ArchiveServiceDefinition,
} from './airlift/data/v1/ArchiveService.js';
import type {
  FetchPiecesRequest as _airlift_data_v1_FetchPiecesRequest,
  FetchPiecesRequest__Output as _airlift_data_v1_FetchPiecesRequest__Output,
} from './airlift/data/v1/FetchPiecesRequest.js';
import type {
  PieceStreamTicket as _airlift_data_v1_PieceStreamTicket,
  PieceStreamTicket__Output as _airlift_data_v1_PieceStreamTicket__Output,
} from './airlift/data/v1/PieceStreamTicket.js';
import type {
  PingReply as _airlift_data_v1_PingReply,
  PingReply__Output as _airlift_data_v1_PingReply__Output,
} from './airlift/data/v1/PingReply.js';
import type {
  PingRequest as _airlift_data_v1_PingRequest,
  PingRequest__Output as _airlift_data_v1_PingRequest__Output,
} from './airlift/data/v1/PingRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new (...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  airlift: {
    data: {
      v1: {
        /**
         * Serves the archives a node holds, by archive id (the sha256 hex of images.tar).
         */
        ArchiveService: SubtypeConstructor<typeof grpc.Client, _airlift_data_v1_ArchiveServiceClient> & {
          service: _airlift_data_v1_ArchiveServiceDefinition;
        };
        FetchPiecesRequest: MessageTypeDefinition<
          _airlift_data_v1_FetchPiecesRequest,
          _airlift_data_v1_FetchPiecesRequest__Output
        >;
        PieceStreamTicket: MessageTypeDefinition<
          _airlift_data_v1_PieceStreamTicket,
          _airlift_data_v1_PieceStreamTicket__Output
        >;
        PingReply: MessageTypeDefinition<_airlift_data_v1_PingReply, _airlift_data_v1_PingReply__Output>;
        PingRequest: MessageTypeDefinition<
          _airlift_data_v1_PingRequest,
          _airlift_data_v1_PingRequest__Output
        >;
      };
    };
  };
}
