import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/archive.js';

/** The data-plane proto, relative to the proto root. */
export const ARCHIVE_PROTO_FILE = 'airlift/data/v1/archive.proto';

// Must match the proto-loader-gen-types flags (--longs=Number --enums=String --defaults --oneofs), or
// the generated types would lie about what arrives: offsets as numbers, absent fields as defaults.
const LOADER_OPTIONS: Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

let cached: ProtoGrpcType | undefined;

/**
 * The repository's `proto/` directory. This module runs from `shared/data-plane/` (source),
 * `dist/shared/data-plane/` (compiled) or inside `dist/airlift.mjs` (the bundled CLI), so the root is
 * two, three or one level up.
 */
export function protoRoot(): string {
  const candidates = ['../../proto/', '../../../proto/', '../proto/'].map((up) =>
    fileURLToPath(new URL(up, import.meta.url)),
  );
  const found = candidates.find((dir) => existsSync(`${dir}${ARCHIVE_PROTO_FILE}`));
  if (found === undefined) {
    throw new Error(`data-plane proto ${ARCHIVE_PROTO_FILE} not found in ${candidates.join(' or ')}`);
  }
  return found;
}

/** The loaded `airlift.data.v1` package: service definition for servers, client constructor for clients. */
export function archiveProto(): ProtoGrpcType['airlift']['data']['v1'] {
  if (cached === undefined) {
    const definition = loadSync(ARCHIVE_PROTO_FILE, { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
    cached = loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return cached.airlift.data.v1;
}
