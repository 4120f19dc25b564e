/** airlift's version, reported by the CLI and (later) in agent heartbeats. */
export const AIRLIFT_VERSION = '0.1.0';

// Replaced by the commit string when deploy/build/bundle-cli.ts bundles the CLI (esbuild `define`);
// absent from the plain tsc output in dist/, hence the typeof guard below.
declare const __AIRLIFT_COMMIT__: string | undefined;

/** The commit the CLI bundle was built from (`-dirty` with local changes), or `unknown`. */
export const AIRLIFT_COMMIT: string =
  typeof __AIRLIFT_COMMIT__ === 'undefined' ? 'unknown' : __AIRLIFT_COMMIT__;

/** What `airlift --version` prints, like `helm version --short`: `0.1.0 (commit 1a2b3c4d5e6f)`. */
export const AIRLIFT_VERSION_LINE = `${AIRLIFT_VERSION} (commit ${AIRLIFT_COMMIT})`;
