// Bundles the compiled CLI and its dependencies into one file, dist/airlift.mjs, the `airlift` that
// package.json installs. Node 20 has no compile cache: resolving, reading and compiling the ~1,000
// modules of the unbundled tree took 0.6-0.7 s of CPU at every start (`airlift --version`: 0.75 s
// against 0.25 s bundled), paid by every `airlift upgrade` before its first job and by every agent.
// Run by `npm run build` after tsc.
import { execFileSync } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const outfile = `${root}dist/airlift.mjs`;

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

await build({
  entryPoints: [`${root}dist/bin/airlift.js`],
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
  external: ['ssh2', 'cpu-features'],
  // Bundled CommonJS dependencies call require(); an ES module has none of its own.
  banner: {
    js: "import { createRequire as airliftCreateRequire } from 'node:module'; const require = airliftCreateRequire(import.meta.url);",
  },
  // shared/version.ts reads it; the tsc output in dist/ has none and says `unknown`.
  define: { __AIRLIFT_COMMIT__: JSON.stringify(buildCommit()) },
  logLevel: 'warning',
});
await chmod(outfile, 0o755);
