// Bundles the compiled CLI and its dependencies into one file, dist/airlift.mjs, the `airlift` that
// package.json installs. Node 20 has no compile cache: resolving, reading and compiling the ~1,000
// modules of the unbundled tree took 0.6-0.7 s of CPU at every start (`airlift --version`: 0.75 s
// against 0.25 s bundled), paid by every `airlift upgrade` before its first job and by every agent.
// Run by `npm run build` after tsc. Its second output, dist/airlift-sea.cjs, is the same program as one
// CommonJS script: what deploy/release/ makes the single executable `airlift` from.
import { execFileSync } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { archiveProtoJson } from './archive-proto-json.js';
import { NATIVE_OPTIONAL_ADDONS, seaScriptOptions } from './sea-script.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const entry = `${root}dist/bin/airlift.js`;
const outfile = `${root}dist/airlift.mjs`;
const seaOutfile = `${root}dist/airlift-sea.cjs`;

/** A git command's trimmed stdout in the repository, or undefined when git or the .git dir is absent. */
function git(args: readonly string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: root,
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

/** The commit `airlift --version` names: HEAD, `-dirty` with uncommitted changes, or `unknown`. */
function buildCommit(): string {
  const head = git(['rev-parse', '--short=12', 'HEAD']);
  if (head === undefined || !/^[0-9a-f]{7,40}$/.test(head)) return 'unknown';
  // --no-optional-locks: a build must not take the index lock (or rewrite the index) under a
  // concurrent git command.
  const changes = git(['--no-optional-locks', 'status', '--porcelain']);
  return changes === undefined || changes === '' ? head : `${head}-dirty`;
}

const esmOptions: BuildOptions = {
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // Whitespace only: V8 holds and pre-parses the whole source in every process, and 28 % less of it is
  // 6-7 MiB less RSS. Renaming identifiers (full minify) measured 10 MiB more, and it would change the
  // class names in errors.
  minifyWhitespace: true,
  // Native addons of dockerode's ssh transport: required from node_modules at run time, if ever.
  external: [...NATIVE_OPTIONAL_ADDONS],
  // Bundled CommonJS dependencies call require(); an ES module has none of its own.
  banner: {
    js: "import { createRequire as airliftCreateRequire } from 'node:module'; const require = airliftCreateRequire(import.meta.url);",
  },
  // shared/version.ts reads it; the tsc output in dist/ has none and says `unknown`.
  // shared/data-plane/archive-proto.ts reads the embedded proto instead of proto/ beside the bundle.
  define: {
    __AIRLIFT_COMMIT__: JSON.stringify(buildCommit()),
    __AIRLIFT_ARCHIVE_PROTO_JSON__: JSON.stringify(
      archiveProtoJson(`${root}proto`, 'airlift/data/v1/archive.proto'),
    ),
  },
  logLevel: 'warning',
};
await Promise.all([build(esmOptions), build(seaScriptOptions(esmOptions, entry, seaOutfile))]);
await chmod(outfile, 0o755);
