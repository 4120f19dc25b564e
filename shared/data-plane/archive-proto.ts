import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition } from '@grpc/grpc-js';
import { fromJSON, loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';
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

// Replaced by the proto as protobuf.js JSON (names already camelCase) when deploy/build/bundle-cli.ts
// bundles the CLI, so dist/airlift.mjs and the release executable need no proto/ directory beside
// them; absent from the plain tsc output, which reads the file (hence the typeof guard).
declare const __AIRLIFT_ARCHIVE_PROTO_JSON__: string | undefined;

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

/** The proto's package definition: the embedded JSON in the bundled CLI, else the file under proto/. */
function loadDefinition(): PackageDefinition {
  if (typeof __AIRLIFT_ARCHIVE_PROTO_JSON__ === 'string') {
    const json = JSON.parse(__AIRLIFT_ARCHIVE_PROTO_JSON__) as Parameters<typeof fromJSON>[0];
    return fromJSON(json, LOADER_OPTIONS);
  }
  return loadSync(ARCHIVE_PROTO_FILE, { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
}

/** The loaded `airlift.data.v1` package: service definition for servers, client constructor for clients. */
export function archiveProto(): ProtoGrpcType['airlift']['data']['v1'] {
  if (cached === undefined) {
    cached = loadPackageDefinition(loadDefinition()) as unknown as ProtoGrpcType;
  }
  return cached.airlift.data.v1;
}
