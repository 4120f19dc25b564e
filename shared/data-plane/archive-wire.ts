import { MAX_PIECE_SIZE } from '../pieces/index.js';

/** An archive id: the lowercase sha256 hex of the archive's bytes. */
export const ARCHIVE_ID_PATTERN = /^[a-f0-9]{64}$/;

/** What a client accepts per message (grpc-js would stop at 4 MiB): the largest piece plus room for its framing. A limit, not an allocation. */
export const MAX_RECEIVE_MESSAGE_BYTES = MAX_PIECE_SIZE + 64 * 1024;
