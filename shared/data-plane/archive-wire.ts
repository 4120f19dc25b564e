import { MAX_PIECE_SIZE } from '../pieces/index.js';

/** An archive id: the lowercase sha256 hex of the archive's bytes. */
export const ARCHIVE_ID_PATTERN = /^[a-f0-9]{64}$/;

/** The longest frame a receiver accepts: the largest piece. A limit checked before allocating, not an allocation. */
export const MAX_PIECE_FRAME_BYTES = MAX_PIECE_SIZE;

/** ALPN name of the piece stream: a gRPC client dialling it by mistake fails the handshake, clearly. */
export const PIECE_STREAM_ALPN = 'airlift-pieces/1';
