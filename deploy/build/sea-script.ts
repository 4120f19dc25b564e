// How the CommonJS script for the release executable differs from dist/airlift.mjs. Node 20's single
// executable application runs one CommonJS script whose `require` loads only built-in modules, so:
// the entry's top-level await runs inside an async function, import.meta.url is made from __filename,
// and the optional native addons that stay external in the ES module bundle are replaced by a module
// that throws only when it is required.
import { readFile } from 'node:fs/promises';
import type { BuildOptions, Plugin } from 'esbuild';

/** Addons dockerode's ssh transport requires lazily; neither can load inside the executable. */
export const NATIVE_OPTIONAL_ADDONS = ['ssh2', 'cpu-features'] as const;

// An `import` statement at the start of a line, up to its semicolon (import clauses hold none).
const IMPORT_STATEMENT = /^import\s[^;]*;/gm;

/** The entry module's code with everything after its imports inside `(async () => { ... })()`. */
export function wrapTopLevelAwait(source: string): string {
  let end = 0;
  for (const match of source.matchAll(IMPORT_STATEMENT)) end = match.index + match[0].length;
  // An unhandled rejection ends the process with status 1 and the error, as a rejected top-level await does.
  return `${source.slice(0, end)}\n(async () => {\n${source.slice(end)}\n})();\n`;
}

function seaPlugin(entry: string): Plugin {
  const escaped = entry.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const addons = new RegExp(`^(${NATIVE_OPTIONAL_ADDONS.join('|')})$`);
  return {
    name: 'airlift-sea',
    setup(build) {
      build.onLoad({ filter: new RegExp(`^${escaped}$`) }, async (args) => ({
        contents: wrapTopLevelAwait(await readFile(args.path, 'utf8')),
        loader: 'js',
      }));
      build.onResolve({ filter: addons }, (args) => ({ path: args.path, namespace: 'airlift-absent' }));
      build.onLoad({ filter: /.*/, namespace: 'airlift-absent' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(
          `${args.path} is not part of the airlift executable: use the Docker or containerd socket, not ssh`,
        )});`,
        loader: 'js',
      }));
    },
  };
}

/** esbuild options that turn the ES module bundle's options into the executable's CommonJS script. */
export function seaScriptOptions(esm: BuildOptions, entry: string, outfile: string): BuildOptions {
  return {
    ...esm,
    entryPoints: [entry],
    outfile,
    format: 'cjs',
    sourcemap: false,
    // The addons are stubbed by the plugin; nothing else is left for a require the executable lacks.
    external: [],
    define: { ...esm.define, 'import.meta.url': 'airliftImportMetaUrl' },
    banner: { js: "const airliftImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [...(esm.plugins ?? []), seaPlugin(entry)],
  };
}
