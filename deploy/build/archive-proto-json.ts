// The data-plane proto as protobuf.js JSON, for the bundled CLI to embed: the bundle and the release
// executable then run without a proto/ directory beside them.
import protobuf from 'protobufjs';

/** The proto at `protoDir`/`file` parsed with camelCase names (proto-loader's keepCase: false), as JSON. */
export function archiveProtoJson(protoDir: string, file: string): string {
  const root = new protobuf.Root();
  // proto-loader resolves imports against its includeDirs the same way.
  root.resolvePath = (_origin, target) => `${protoDir}/${target}`;
  root.loadSync(file, { keepCase: false });
  root.resolveAll();
  return JSON.stringify(root.toJSON());
}
